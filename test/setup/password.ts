/**
 * The PBKDF2 iteration count the test suites' apps hash new passwords with
 * (PASSWORD_ITERATIONS, honoured only where ENVIRONMENT is `test`): fixtures
 * sign hundreds of users up and in, and 100,000 iterations each made hashing
 * a large share of the suite's time. Still a real PBKDF2 hash, verified by the
 * same code. docs/decisions/0023-ci-test-password-iterations.md.
 */
export const TEST_PASSWORD_ITERATIONS = '1000';
