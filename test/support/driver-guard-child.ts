// Child process of test/lifecycle/driver-guard.test.ts: installs the guard, then rejects as argv[2] says.
import { guardDriverRejections } from '../../src/main/driver-guard.ts';
import { createLogger } from '../../src/shared/logger.ts';

guardDriverRejections(createLogger('warn'));
const typeFetch = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
  code: 'ECONNREFUSED',
  query: 'select b.oid, b.typarray from pg_catalog.pg_type a left join pg_catalog.pg_type b on b.oid = a.typelem',
});
void Promise.reject(process.argv[2] === 'other' ? new Error('some other failure') : typeFetch);
setTimeout(() => process.stdout.write('still running\n'), 200);
