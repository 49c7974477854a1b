// Step 6, Review: the whole plan, what blocks it, and its cost, before anything is made; and
// the plan as ibmcloud CLI and Terraform, to read or keep.
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  Button,
  InlineLoading,
  InlineNotification,
  Link,
  Stack,
  Tile,
} from '@carbon/react';

import { asAppError, type AppError, type Backend, type DraftPlan, type Problem, type Review } from '../backend';
import { PlanDiagram } from '../PlanDiagram';
import { problemPlace } from '../StepNav';
import { CostTable } from './CostTable';
import { PlanExports } from './PlanExports';
import { StepHeading } from './StepHeading';

interface Props {
  backend: Backend;
  plan: DraftPlan;
  /** Goes to the step and control where `field` is fixed. */
  onJump: (field: string) => void;
  /** Hands over what only the cloud knows, so it shows at its field too. */
  onCloudProblems: (problems: Problem[]) => void;
  /** Applies the plan; resolves with the refusal when there is one to show here. */
  onApply: () => Promise<AppError | null>;
}

function errorLine(error: AppError) {
  return [error.hint, error.requestId && `Request ID: ${error.requestId}`].filter(Boolean).join(' ');
}

/** Step 6: everything the plan creates and what it costs, checked with the cloud; then apply. */
export function ReviewStep({ backend, plan, onJump, onCloudProblems, onApply }: Props) {
  const [review, setReview] = useState<Review | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<AppError | null>(null);
  const [applying, setApplying] = useState(false);
  const [applyError, setApplyError] = useState<AppError | null>(null);
  const alive = useRef(true);
  const latest = useRef({ plan, onCloudProblems });
  latest.current = { plan, onCloudProblems };

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const found = await backend.reviewPlan(latest.current.plan);
      if (!alive.current) return;
      setReview(found);
      if (found.problems.length > 0) latest.current.onCloudProblems(found.problems);
    } catch (e) {
      if (alive.current) setError(asAppError(e));
    } finally {
      if (alive.current) setLoading(false);
    }
  }, [backend]);

  useEffect(() => {
    alive.current = true;
    void load();
    return () => {
      alive.current = false;
    };
  }, [load]);

  const apply = async () => {
    setApplying(true);
    setApplyError(null);
    const refused = await onApply();
    if (!alive.current) return;
    setApplying(false);
    setApplyError(refused);
  };

  const problems = review?.problems ?? [];
  const blocked = loading || !review || problems.length > 0 || Boolean(error);

  return (
    <section className="onramp-step onramp-step--wide" aria-labelledby="review-title">
      <Stack gap={7}>
        <StepHeading step="review">
          Everything the plan creates, checked with the cloud, and what it costs. Nothing is created until you apply it.
        </StepHeading>

        <div className="onramp-review__toolbar">
          <Button id="review-refresh" kind="tertiary" size="md" disabled={loading || applying} onClick={() => void load()}>
            Refresh
          </Button>
          {loading && <InlineLoading description="Checking the plan and reading prices…" />}
        </div>

        {error && !loading && (
          <InlineNotification
            id="review-error"
            kind="error"
            lowContrast
            hideCloseButton
            role="alert"
            title={error.message}
            subtitle={errorLine(error)}
          />
        )}

        {problems.length > 0 && (
          <div id="review-problems">
            <InlineNotification
              kind="error"
              lowContrast
              hideCloseButton
              role="alert"
              title="The plan cannot be applied yet."
              subtitle={problems.length === 1 ? 'Fix this first:' : `Fix these ${problems.length} problems first:`}
            />
            <ul className="onramp-problem-list">
              {problems.map((p) => (
                <li key={`${p.field}:${p.message}`}>
                  <Link as="button" type="button" onClick={() => onJump(p.field)}>
                    {problemPlace(p.field)}
                  </Link>
                  : {p.message}
                </li>
              ))}
            </ul>
          </div>
        )}

        {review && (
          <Stack gap={5}>
            <h2 className="onramp-review__heading">What the plan creates</h2>
            <PlanDiagram id="review-diagram" boxes={review.diagram} caption="The plan, before anything is made" />
            {review.resources.map((resource, index) => (
              <Tile
                key={`${resource.label}:${resource.name}`}
                className="onramp-resource"
                data-resource={resource.label}
                data-step={review.diagram[index]?.step}
              >
                <Stack gap={4}>
                  <div>
                    <h3 className="onramp-resource__title">{resource.label}</h3>
                    <p className="onramp-resource__name">{resource.name}</p>
                  </div>
                  <dl className="onramp-facts">
                    {resource.settings.map((s) => (
                      <div key={s.label} className="onramp-facts__row">
                        <dt>{s.label}</dt>
                        <dd>{s.value}</dd>
                      </div>
                    ))}
                  </dl>
                </Stack>
              </Tile>
            ))}
          </Stack>
        )}

        {review && <CostTable cost={review.cost} />}

        {review && <PlanExports backend={backend} plan={plan} />}

        {applyError && (
          <InlineNotification
            id="apply-error"
            kind="error"
            lowContrast
            hideCloseButton
            role="alert"
            title={applyError.message}
            subtitle={errorLine(applyError)}
          />
        )}

        <div className="onramp-review__apply">
          <Button
            id="apply-button"
            kind="primary"
            disabled={blocked || applying}
            aria-describedby={problems.length > 0 ? 'apply-reason' : undefined}
            onClick={() => void apply()}
          >
            Apply plan
          </Button>
          {applying && <InlineLoading description="Starting…" />}
          {problems.length > 0 && (
            <p id="apply-reason" className="onramp-review__reason">
              Fix the problems above to apply the plan.
            </p>
          )}
        </div>
      </Stack>
    </section>
  );
}
