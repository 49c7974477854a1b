// The monthly cost estimate as a table: each line's unit price and quantity, the total, and what it leaves out.
import { Stack, Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@carbon/react';

import type { CostEstimate } from '../backend';
import { formatMoney } from '../plan';

/** `id` names the heading (`cost-title` in Review); the total is `<id>-total`. */
export function CostTable({ cost, id = 'cost' }: { cost: CostEstimate; id?: string }) {
  const money = (n: number, digits?: number) => formatMoney(n, cost.currency, digits);
  return (
    <Stack gap={4}>
      <h2 id={`${id}-title`} className="onramp-review__heading">
        Estimated cost
      </h2>
      <Table aria-labelledby={`${id}-title`} size="md">
        <TableHead>
          <TableRow>
            <TableHeader>Item</TableHeader>
            <TableHeader>Unit price per month</TableHeader>
            <TableHeader>Quantity</TableHeader>
            <TableHeader>Per month</TableHeader>
          </TableRow>
        </TableHead>
        <TableBody>
          {cost.lines.map((line) => (
            <TableRow key={line.label} data-known={line.monthly !== null}>
              <TableCell>{line.label}</TableCell>
              <TableCell>{line.unitMonthly === null ? '—' : money(line.unitMonthly, 4)}</TableCell>
              <TableCell>{line.quantity}</TableCell>
              <TableCell>
                {line.monthly === null ? (
                  <>
                    <strong>Price unknown</strong>
                    {line.note && <span className="onramp-review__note">{line.note}</span>}
                  </>
                ) : (
                  money(line.monthly)
                )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <p id={`${id}-total`} className="onramp-review__total">
        {cost.complete
          ? `≈ ${money(cost.monthlyKnown)}/month (≈ ${money(cost.hourlyKnown, 3)}/hour)`
          : `At least ${money(cost.monthlyKnown)}/month (at least ${money(cost.hourlyKnown, 3)}/hour): some prices are unknown`}
      </p>
      {cost.notes.length > 0 && (
        <ul className="onramp-review__notes" aria-label="About this estimate">
          {cost.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
    </Stack>
  );
}
