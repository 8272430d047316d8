// A scripted model server on 127.0.0.1 speaking the OpenAI Responses API the way Codex CLI uses it
// (POST {base}/responses, server-sent events). The real `codex` binary in the job container is
// pointed at it through CODEX_BASE_URL; each request consumes the next scripted turn, which either
// calls Codex's tools (exec_command, apply_patch) or ends the turn with a message.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ScriptedTool = { shell: string[]; workdir?: string } | { applyPatch: string };
export type Turn =
  | { tools: ScriptedTool[] }
  | { message: string }
  | { httpError: number; body?: string };

export interface RecordedModelRequest {
  path: string;
  authorization: string | undefined;
  model: string | undefined;
  /** The user prompt text(s) of the request. */
  userTexts: string[];
  toolOutputs: { call_id: string; output: string }[];
}

/** POSIX-quotes an argv array into the one command string Codex's exec_command tool takes. */
export function shellQuote(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_/.,:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function toolItem(tool: ScriptedTool, id: string) {
  if ('shell' in tool) {
    const args: Record<string, unknown> = { cmd: shellQuote(tool.shell), login: false, tty: false, yield_time_ms: 30_000 };
    if (tool.workdir) args.workdir = tool.workdir;
    return { type: 'function_call', id: `fc_${id}`, call_id: `call_${id}`, name: 'exec_command', arguments: JSON.stringify(args) };
  }
  // apply_patch is a freeform ("custom") tool: the raw patch text, not JSON.
  return { type: 'custom_tool_call', id: `ctc_${id}`, call_id: `call_${id}`, name: 'apply_patch', input: tool.applyPatch };
}

export class ScriptedModelServer {
  readonly requests: RecordedModelRequest[] = [];
  private script: Turn[] = [];
  private fallback: Turn = { httpError: 500, body: '{"error":{"message":"scripted model server: script exhausted"}}' };
  private server?: http.Server;
  private seq = 0;
  baseUrl = '';

  /** Replaces the script; `fallback` answers every request once the script is used up. */
  setScript(turns: Turn[], fallback?: Turn): void {
    this.script = [...turns];
    if (fallback) this.fallback = fallback;
    this.requests.length = 0;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.answer(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private answer(req: http.IncomingMessage, raw: string, res: http.ServerResponse) {
    if (req.method !== 'POST' || !req.url?.split('?')[0]?.endsWith('/responses')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    let body: { model?: string; input?: { type?: string; role?: string; content?: { type: string; text?: string }[]; call_id?: string; output?: string }[] } = {};
    try {
      body = JSON.parse(raw);
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"invalid JSON"}}');
      return;
    }
    const input = Array.isArray(body.input) ? body.input : [];
    this.requests.push({
      path: req.url,
      authorization: req.headers.authorization,
      model: body.model,
      userTexts: input.filter((i) => i.type === 'message' && i.role === 'user').flatMap((i) => (i.content ?? []).map((c) => c.text ?? '')),
      toolOutputs: input.filter((i) => /_call_output$/.test(i.type ?? '')).map((i) => ({ call_id: i.call_id ?? '', output: String(i.output ?? '') })),
    });
    const turn = this.script.shift() ?? this.fallback;
    if ('httpError' in turn) {
      res.writeHead(turn.httpError, { 'content-type': 'application/json' }).end(turn.body ?? `{"error":{"message":"scripted ${turn.httpError}"}}`);
      return;
    }
    const id = `resp_${++this.seq}`;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (ev: Record<string, unknown>) => res.write(`event: ${String(ev.type)}\ndata: ${JSON.stringify(ev)}\n\n`);
    send({ type: 'response.created', response: { id } });
    const items =
      'tools' in turn
        ? turn.tools.map((t, i) => toolItem(t, `${this.seq}_${i}`))
        : [{ type: 'message', role: 'assistant', id: `msg_${this.seq}`, content: [{ type: 'output_text', text: turn.message }] }];
    items.forEach((item, i) => {
      send({ type: 'response.output_item.added', output_index: i, item });
      send({ type: 'response.output_item.done', output_index: i, item });
    });
    send({
      type: 'response.completed',
      response: { id, usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 } },
    });
    res.end();
  }
}
