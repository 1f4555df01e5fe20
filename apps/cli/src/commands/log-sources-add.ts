/**
 * `cairn log sources add`: a credential for a producer of the ingestion listener — a writer
 * token for the source, printed once, or (with --client-cert-subject) the mapping of a client
 * certificate's subject to the source, recorded in the tokens file.
 */
import { ApiError, createToken, mapCertificateSubject } from '@cairn/api';
import { CommandFailure, defineCommand } from '../command.js';
import { parseIntOption } from '../lib/options.js';

export const logSourcesAdd = defineCommand({
  name: 'log sources add',
  summary: 'Add a producer of the ingestion listener: print its writer token, or map its client certificate',
  details: `
A producer (a Kubernetes apiserver, an OpenTelemetry Collector, rsyslog, an application) sends
to \`cairn log serve --ingest-listen\` as a named source. Without --client-cert-subject this
issues a writer token for the source, stores its hash in the tokens file (created if absent,
mode 0600) and prints the token once: the producer sends it as "Authorization: Bearer <token>"
(a kubeconfig's users[].user.token, the Collector's headers, …).

With --client-cert-subject S it records that a client certificate with subject S, issued by the
CA of --ingest-client-ca, is the source; no token is issued. S is the certificate's subject as
TYPE=value pairs in the certificate's order joined by commas, e.g. O=Example,CN=rsyslog.example.org
(\`openssl x509 -noout -subject -nameopt sep_comma_plus -in cert.pem\` prints it after "subject=").

A source writes only as itself: the ingestion listener takes the source from the credential,
never from the request. A running log re-reads the tokens file when it changes (and on SIGHUP).
Remove a source with \`cairn log tokens revoke --source N\`. --json prints
{"source", "token"} or {"source", "clientCertSubject"}.`,
  options: {
    tokens: { type: 'string', required: true, value: 'FILE', description: 'tokens file (JSON)' },
    name: { type: 'string', required: true, value: 'NAME', description: 'source name (A–Z a–z 0–9 . _ -, up to 64)' },
    'client-cert-subject': { type: 'string', value: 'SUBJECT', description: 'map this client certificate subject (CN=…,O=…) to the source instead of issuing a token' },
    'entries-per-minute': { type: 'string', value: 'N', description: 'quota for this source: events per minute (default 600000)' },
    replace: { type: 'boolean', description: 'replace the existing credentials of the source' },
    json: { type: 'boolean', description: 'print the credential as one JSON object' },
  },
  async run({ values, io }) {
    const epm = values['entries-per-minute'];
    const quota = epm === undefined ? undefined : { entriesPerMinute: parseIntOption('--entries-per-minute', epm, 1, 1_000_000_000) };
    const source = values.name!;
    const subject = values['client-cert-subject'];
    try {
      if (subject !== undefined) {
        await mapCertificateSubject(values.tokens!, source, subject, { ...(quota ? { quota } : {}), ...(values.replace ? { replace: true } : {}) });
        if (values.json) io.out(JSON.stringify({ source, clientCertSubject: subject }));
        else io.out(`source ${source}: client certificates with subject ${subject} (verified by --ingest-client-ca) write as ${source}; recorded in ${values.tokens}`);
        return 0;
      }
      const token = await createToken(values.tokens!, source, { ...(quota ? { quota } : {}), ...(values.replace ? { replace: true } : {}) });
      if (values.json) {
        io.out(JSON.stringify({ source, token }));
      } else {
        io.err(`writer token for source ${source} stored (hashed) in ${values.tokens}; it is shown only now:`);
        io.out(token);
      }
      return 0;
    } catch (e) {
      if (e instanceof ApiError) throw new CommandFailure(`--name/--client-cert-subject: ${e.message}`);
      throw e;
    }
  },
});
