import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineHandler, type Handler } from '../../src/handlers/define.ts';
import { handlers as builtIn } from '../../src/handlers/index.ts';
import { toolResult } from '../../src/handlers/result.ts';
import { connectLegacy, connectModern } from '../mcp/support.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';

// A 1×1 transparent PNG and a short WAV header, base64: real bytes of the declared types.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
const WAV = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=';

const mixed = defineHandler({
  name: 'mixed_content',
  description: 'Returns one block of every content type',
  input: v.object({}),
  run: () =>
    toolResult({
      content: [
        { type: 'text', text: 'a chart and its data' },
        { type: 'image', data: PNG, mimeType: 'image/png' },
        { type: 'audio', data: WAV, mimeType: 'audio/wav' },
        { type: 'resource_link', uri: 'https://example.com/report.pdf', name: 'report.pdf', mimeType: 'application/pdf' },
        { type: 'resource', resource: { uri: 'memo://1', mimeType: 'text/plain', text: 'the memo' } },
      ],
      structuredContent: { points: 3 },
    }),
});

const refusal = defineHandler({
  name: 'tool_error',
  description: 'Answers with a tool-level error the model can read',
  input: v.object({}),
  run: () => toolResult({ content: [{ type: 'text', text: 'upstream said 404: no such order' }], isError: true }),
});

const malformed = defineHandler({
  name: 'malformed_result',
  description: 'Returns a content block of an unknown type',
  input: v.object({}),
  run: () => toolResult({ content: [{ type: 'video', url: 'x' } as never] }),
});

const wrongOutput = defineHandler({
  name: 'wrong_output',
  description: 'Declares an output schema and breaks it',
  input: v.object({}),
  output: v.object({ total: v.number() }),
  run: () => ({ total: 'lots' }) as never,
});

const handlers = new Map<string, Handler>([...builtIn, ...[mixed, refusal, malformed, wrongOutput].map((handler) => [handler.name, handler] as const)]);

for (const backend of backends) {
  describe(`rich results (${backend})`, () => {
    const t = useToolport(backend, {}, { handlers });
    let utility: string;

    beforeAll(async () => {
      utility = t.app.urls.utility!;
      for (const name of handlers.keys()) {
        if (builtIn.has(name)) continue;
        const response = await fetch(`${utility}/tools`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name, description: name }),
        });
        expect(response.status).toBe(201);
      }
    });

    const rest = (name: string) =>
      fetch(`${utility}/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, arguments: {} }) });

    it('a full CallToolResult travels unchanged over REST: every content type, structuredContent, isError false', async () => {
      const response = await rest('mixed_content');
      expect(response.status).toBe(200);
      const body = await json(response);
      expect(body).toEqual({
        content: [
          { type: 'text', text: 'a chart and its data' },
          { type: 'image', data: PNG, mimeType: 'image/png' },
          { type: 'audio', data: WAV, mimeType: 'audio/wav' },
          { type: 'resource_link', uri: 'https://example.com/report.pdf', name: 'report.pdf', mimeType: 'application/pdf' },
          { type: 'resource', resource: { uri: 'memo://1', mimeType: 'text/plain', text: 'the memo' } },
        ],
        structuredContent: { points: 3 },
        isError: false,
      });
    });

    it('the same result reaches a 2026-07-28 client and a 2025-era client', async () => {
      const modern = await connectModern(utility);
      const { client: legacy } = await connectLegacy(utility);
      try {
        for (const client of [modern, legacy]) {
          const result = (await client.callTool({ name: 'mixed_content', arguments: {} })) as {
            content: { type: string }[];
            structuredContent?: unknown;
            isError?: boolean;
          };
          expect(result.content.map((block) => block.type)).toEqual(['text', 'image', 'audio', 'resource_link', 'resource']);
          expect(result.content[1]).toEqual({ type: 'image', data: PNG, mimeType: 'image/png' });
          expect(result.structuredContent).toEqual({ points: 3 });
          expect(result.isError).toBeFalsy();
        }
        // The direct answer of the modern fast path (second call) is the SDK's answer (first call).
        const again = await modern.callTool({ name: 'mixed_content', arguments: {} });
        expect(again.content).toHaveLength(5);
      } finally {
        await modern.close();
        await legacy.close();
      }
    });

    it('a handler-made isError result is a 200 on REST and an isError result on MCP, not a failure of the call', async () => {
      const response = await rest('tool_error');
      expect(response.status).toBe(200);
      expect(await json(response)).toEqual({ content: [{ type: 'text', text: 'upstream said 404: no such order' }], isError: true });
      const modern = await connectModern(utility);
      try {
        const result = await modern.callTool({ name: 'tool_error', arguments: {} });
        expect(result).toMatchObject({ isError: true, content: [{ type: 'text', text: 'upstream said 404: no such order' }] });
      } finally {
        await modern.close();
      }
    });

    it('a result that is not a valid CallToolResult → 502 handler_failed naming where it is wrong; the listener keeps serving', async () => {
      const response = await rest('malformed_result');
      expect(response.status).toBe(502);
      const body = await json(response);
      expect(body.error.code).toBe('handler_failed');
      expect(body.error.message).toMatch(/returned an invalid result: \/content\/0/);
      expect((await rest('mixed_content')).status).toBe(200);
    });

    it('structuredContent that breaks the output schema is refused as the SDK refuses it: 502 on REST, isError on MCP', async () => {
      const response = await rest('wrong_output');
      expect(response.status).toBe(502);
      const body = await json(response);
      expect(body.error.code).toBe('handler_failed');
      expect(body.error.message).toMatch(/does not match its output schema: \/total must be number/);
      const modern = await connectModern(utility);
      try {
        const result = await modern.callTool({ name: 'wrong_output', arguments: {} });
        expect(result.isError).toBe(true);
        expect(JSON.stringify(result.content)).toMatch(/output schema/);
      } finally {
        await modern.close();
      }
    });
  });
}
