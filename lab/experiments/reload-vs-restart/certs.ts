import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCert {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

/** A fresh self-signed EC certificate and key, valid for a day, made by the real openssl CLI. */
export function makeCert(dir: string, name: string): TestCert {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1']);
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

/** A self-signed certificate whose validity ended in 2020 (`openssl ca` is the only 3.0 CLI that sets dates). */
export function makeExpiredCert(dir: string, name: string): TestCert {
  const work = join(dir, `${name}-ca`);
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'ca.cnf'), '[ca]\ndefault_ca=c\n[c]\ndatabase=idx\nnew_certs_dir=.\nserial=ser\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n');
  writeFileSync(join(work, 'idx'), '');
  writeFileSync(join(work, 'ser'), '01\n');
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  openssl(work, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', 'r.csr', '-subj', `/CN=${name}`]);
  openssl(work, ['ca', '-batch', '-notext', '-config', 'ca.cnf', '-selfsign', '-keyfile', keyFile, '-in', 'r.csr', '-out', certFile,
    '-startdate', '20200101000000Z', '-enddate', '20200102000000Z']);
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}
