// The SPEC rule suite again, in the seeded-grant profile: third-party cookies blocked, and
// the storage-access grant that pressing "Allow" writes, seeded for each embedding site.
process.env.COS_E2E_PROFILE = 'seeded-grant';
await import('./spec-rules.test.js');
