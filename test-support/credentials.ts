// The credentials every test and benchmark run hands the service: fixed, obviously fake, and long enough for
// the service's token rules. Tests that need a secret nobody can guess (the image and stack tests) make their own.

/** MCP_AUTH_TOKEN of the test and bench services. */
export const TEST_TOKEN = 'mcp-stack-test-token-0123456789abcdef';

/** OPENAI_API_KEY the OpenAI-compatible test servers expect. */
export const TEST_OPENAI_KEY = 'sk-test-0123456789';

/** ANTHROPIC_API_KEY the Messages API test server expects. */
export const TEST_ANTHROPIC_KEY = 'sk-ant-test-0123456789';

/** The Authorization header for `token` (the test token unless told). */
export const authHeaders = (token = TEST_TOKEN): { Authorization: string } => ({ Authorization: `Bearer ${token}` });
