// The example tool's test (copy it with the tool, see docs/development.md): input validation, the call against a
// real provider client talking to the Ollama wire-protocol test server (its "model" echoes the prompt), and the
// answer streamed as progress before the handler returns.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AppDeps } from '../src/deps.ts';
import { translate } from '../src/tools/translate.ts';
import type { FakeServer } from './helpers/fake-llm-common.ts';
import { startFakeOllama } from './helpers/fake-ollama.ts';
import { buildDeps, llmEnv } from './helpers/llm-deps.ts';

describe('translate (the example tool)', () => {
  let fake: FakeServer;
  let deps: AppDeps;
  before(async () => {
    fake = await startFakeOllama({ tokenDelayMs: 20 });
    deps = buildDeps(llmEnv('ollama', fake.url));
  });
  after(() => fake.close());

  it('rejects input that breaks its schema, with the field named', () => {
    const result = translate.inputSchema.safeParse({ text: '   ', to: 'German' });
    assert.equal(result.success, false);
    assert.deepEqual(
      result.error?.issues.map((i) => i.path.join('.')),
      ['text'],
    );
  });

  it('asks the model and streams the answer as progress before it returns', async () => {
    const progress: string[] = [];
    let returned = false;
    const result = await translate.handler(translate.inputSchema.parse({ text: 'Good morning', to: 'German' }), {
      signal: new AbortController().signal,
      progress: async (message) => {
        assert.equal(returned, false, 'no progress after the result');
        progress.push(message);
      },
      llm: deps.llm,
      logger: deps.logger,
      deps,
    });
    returned = true;
    // The test server's model echoes the prompt: the text and the target language reached the model.
    assert.match(result.structured.translation, /Good morning/);
    assert.match(result.structured.translation, /German/);
    assert.equal(result.structured.to, 'German');
    assert.equal(result.text, result.structured.translation);
    assert.ok(progress.length >= 2, `streamed in ${progress.length} progress message(s)`);
    assert.equal(progress.join(''), result.structured.translation);
    assert.ok(translate.outputSchema.safeParse(result.structured).success);
  });

  it('a cancelled call aborts the request to the model', async () => {
    const controller = new AbortController();
    const call = translate.handler(
      { text: 'A long text '.repeat(50), to: 'French' },
      {
        signal: controller.signal,
        progress: async () => controller.abort(),
        llm: deps.llm,
        logger: deps.logger,
        deps,
      },
    );
    await assert.rejects(call);
  });
});
