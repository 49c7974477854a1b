// The first query's section: the SQL (its problem at the field), Run and Stop, and the result
// as a table with its caption.
import {
  Button,
  InlineLoading,
  InlineNotification,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
  TextArea,
} from '@carbon/react';

import type { QueryResult } from '../../backend';
import type { useQuery } from './useQuery';

export function QueryPanel({ query }: { query: ReturnType<typeof useQuery> }) {
  return (
    <Stack gap={5} as="section" aria-labelledby="query-heading">
      <h2 id="query-heading" className="onramp-review__heading">
        First query
      </h2>
      <TextArea
        id="query-sql"
        labelText="SQL"
        helperText="Runs as the Manager credential through the tunnel (Onramp opens it if it is closed). The last result is shown, up to 200 rows."
        rows={4}
        spellCheck={false}
        value={query.query}
        onChange={(e) => query.edit(e.target.value)}
        invalid={Boolean(query.message)}
        invalidText={query.message ?? undefined}
      />
      <div className="onramp-review__toolbar">
        <Button id="query-run-button" kind="primary" disabled={query.running} onClick={() => void query.run()}>
          Run query
        </Button>
        {query.running && (
          <>
            <InlineLoading description="Running…" />
            <Button id="query-stop-button" kind="ghost" onClick={query.stop}>
              Stop the query
            </Button>
          </>
        )}
      </div>
      {query.error && (
        <InlineNotification
          id="query-error"
          kind="error"
          lowContrast
          hideCloseButton
          role="alert"
          title={query.error.message}
          subtitle={query.error.hint ?? undefined}
        />
      )}
      {query.result && <QueryTable result={query.result} />}
    </Stack>
  );
}

function QueryTable({ result }: { result: QueryResult }) {
  const caption = `${result.command} in ${result.elapsedMs} ms`;
  return (
    <div id="query-result" className="onramp-connect__result">
      {result.columns.length === 0 ? (
        <p>
          {caption}
          {result.stopped && ` ${result.stopped}`}
        </p>
      ) : (
        <Table size="sm">
          <caption className="onramp-connect__caption">
            {caption}
            {result.stopped && ` ${result.stopped}`}
          </caption>
          <TableHead>
            <TableRow>
              {result.columns.map((column, i) => (
                <TableHeader key={`${i}:${column}`}>{column}</TableHeader>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {result.rows.map((row, r) => (
              <TableRow key={r}>
                {row.map((value, c) => (
                  <TableCell key={c}>{value === null ? <span className="onramp-muted">NULL</span> : value}</TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </div>
  );
}
