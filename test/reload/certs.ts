// The test certificates come from the same openssl helper the lab's TLS rotation uses.
export { makeCert, makeExpiredCert, type TestCert } from '../../lab/experiments/reload-vs-restart/certs.js';
