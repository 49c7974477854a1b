// Where the database is and the way to it, as facts to read and select.
import type { ConnectionInfo } from '../../backend';

export function ConnectFacts({ info }: { info: ConnectionInfo }) {
  return (
    <dl className="onramp-facts onramp-connect__facts" aria-label="The database and the way to it">
      <div className="onramp-facts__row">
        <dt>Private host name</dt>
        <dd id="connect-host" className="onramp-selectable">
          {info.hostName}
        </dd>
      </div>
      <div className="onramp-facts__row">
        <dt>Database</dt>
        <dd id="connect-database">{info.database}</dd>
      </div>
      <div className="onramp-facts__row">
        <dt>User (Manager credential)</dt>
        <dd id="connect-user">{info.user}</dd>
      </div>
      <div className="onramp-facts__row">
        <dt>Jump server address</dt>
        <dd id="connect-jump">{info.jumpAddress}</dd>
      </div>
      <div className="onramp-facts__row">
        <dt>Endpoint gateway (VPE) address</dt>
        <dd id="connect-vpe">{info.vpeAddress}</dd>
      </div>
      <div className="onramp-facts__row">
        <dt>Jump server’s host key (pinned)</dt>
        <dd id="connect-host-key">{info.hostKeyFingerprint ?? 'Not recorded'}</dd>
      </div>
    </dl>
  );
}
