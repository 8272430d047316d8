// The real app on 127.0.0.1, driven over HTTP with fetch.
import type { Server } from 'node:http';
import type { Express } from 'express';
import { listen } from '../../api/listen.js';

export async function serve(app: Express): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  return listen(app, 0, '127.0.0.1');
}

export async function api(base: string, path: string, init: RequestInit & { json?: unknown; token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const res = await fetch(`${base}${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body, text };
}
