// The test certificates come from the same openssl helper the lab's TLS rotation uses.
export { makeCert, makeExpiredCert, type TestCert } from '../../lab/reload-certs.js';
