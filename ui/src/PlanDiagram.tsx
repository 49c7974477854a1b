// The picture of the plan: a box per resource where the back end placed it (column: how
// many steps it waits for in a row; row: its turn in that column), an arrow from each step
// it waits for, and its state in words as well as colour. A box leads to the resource's
// row below; the list stays the source for screen readers, so the picture is one image.
import type { Place, StepId, StepStatus } from './backend';

export interface DiagramBox {
  step: StepId;
  label: string;
  name: string;
  place: Place;
  /** Its live state; none before anything is made (Review). */
  status?: StepStatus;
}

const WIDTH = 196;
const HEIGHT = 64;
const GAP_X = 44;
const GAP_Y = 14;
const PAD = 8;

/** What a box says about its resource, and the style that goes with it. */
export function stateOf(status?: StepStatus): { words: string; tone: string } {
  switch (status) {
    case undefined:
      return { words: 'planned', tone: 'planned' };
    case 'Waiting':
      return { words: 'waiting', tone: 'planned' };
    case 'Working':
      return { words: 'creating…', tone: 'working' };
    case 'Deleting':
      return { words: 'deleting…', tone: 'working' };
    case 'Ready':
      return { words: 'ready', tone: 'ready' };
    case 'Failed':
    case 'DeleteFailed':
      return { words: 'failed', tone: 'failed' };
    case 'Blocked':
      return { words: 'blocked', tone: 'failed' };
    case 'Paused':
      return { words: 'paused', tone: 'planned' };
    case 'Deleted':
      return { words: 'deleted', tone: 'gone' };
    case 'Kept':
      return { words: 'kept, not made by this plan', tone: 'kept' };
    case 'NotOurs':
      return { words: 'not made by this plan', tone: 'kept' };
  }
}

const short = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function PlanDiagram({ id, boxes, caption }: { id: string; boxes: DiagramBox[]; caption: string }) {
  if (boxes.length === 0) return null;
  const at = (place: Place) => ({
    x: PAD + place.column * (WIDTH + GAP_X),
    y: PAD + place.row * (HEIGHT + GAP_Y),
  });
  const columns = Math.max(...boxes.map((b) => b.place.column)) + 1;
  const rows = Math.max(...boxes.map((b) => b.place.row)) + 1;
  const width = PAD * 2 + columns * WIDTH + (columns - 1) * GAP_X;
  const height = PAD * 2 + rows * HEIGHT + (rows - 1) * GAP_Y;
  const byStep = new Map(boxes.map((b) => [b.step, b]));
  const states = boxes.map((b) => stateOf(b.status).words);
  const summary = [...new Set(states)].map((s) => `${states.filter((t) => t === s).length} ${s}`).join(', ');
  const reveal = (step: StepId) => {
    const row = document.querySelector<HTMLElement>(`[data-step="${step}"]`);
    row?.scrollIntoView({ block: 'center' });
  };

  return (
    <figure className="onramp-diagram" id={id}>
      {/* Wider than the step when the plan is deep: it scrolls, so the keyboard can reach it. */}
      <div className="onramp-diagram__scroll" tabIndex={0} role="region" aria-label={`${caption}, picture`}>
        <svg
          role="img"
          aria-label={`${caption}: ${boxes.length} resources (${summary}). The list below has each one.`}
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
        >
          <defs>
            <marker id={`${id}-arrow`} viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto">
              <path d="M0,0 L8,4 L0,8 z" className="onramp-diagram__arrowhead" />
            </marker>
          </defs>
          {boxes.flatMap((box) =>
            box.place.waitsFor
              .map((from) => byStep.get(from))
              .filter((from): from is DiagramBox => Boolean(from))
              .map((from) => {
                const a = at(from.place);
                const b = at(box.place);
                const x1 = a.x + WIDTH;
                const y1 = a.y + HEIGHT / 2;
                const x2 = b.x;
                const y2 = b.y + HEIGHT / 2;
                const bend = (x2 - x1) / 2;
                return (
                  <path
                    key={`${from.step}-${box.step}`}
                    className="onramp-diagram__edge"
                    d={`M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`}
                    markerEnd={`url(#${id}-arrow)`}
                  />
                );
              }),
          )}
          {boxes.map((box) => {
            const { x, y } = at(box.place);
            const state = stateOf(box.status);
            return (
              <g
                key={box.step}
                className={`onramp-diagram__box onramp-diagram__box--${state.tone}`}
                data-diagram-step={box.step}
                data-state={state.words}
                onClick={() => reveal(box.step)}
              >
                <title>{`${box.label}: ${box.name} (${state.words})`}</title>
                <rect x={x} y={y} width={WIDTH} height={HEIGHT} rx={4} />
                <text x={x + 10} y={y + 19} className="onramp-diagram__label">
                  {short(box.label, 30)}
                </text>
                <text x={x + 10} y={y + 37} className="onramp-diagram__name">
                  {short(box.name, 28)}
                </text>
                <text x={x + 10} y={y + 55} className="onramp-diagram__state">
                  {state.words}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
      <figcaption className="onramp-diagram__caption">{caption}</figcaption>
    </figure>
  );
}
