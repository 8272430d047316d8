/**
 * A stand-in for api.github.com, for tests that drive `@octokit/rest` with `baseUrl` pointed here.
 *
 * Two jobs:
 *  1. Play the few REST calls the product makes (repos/get, pulls/create, pulls/list,
 *     issues/add-labels), keeping repositories, pull requests and labels in memory.
 *  2. Hold every request to GitHub's own OpenAPI description (`@octokit/openapi`): an unknown
 *     route, a wrong method, a bad path or query parameter, or a body that does not fit the
 *     operation's schema is answered the way GitHub answers it (404/422/400) AND recorded in
 *     `violations`, so a test can end with `expect(server.violations).toEqual([])`.
 *     The fake's own answers are checked against the documented response schemas as well, so a
 *     drift between this fake and GitHub shows up as a violation instead of a false green test.
 *
 * Deliberately stricter than GitHub, because each of these is a product bug GitHub would hide:
 * unknown query parameters and unknown top-level body fields are rejected (GitHub ignores them),
 * and a missing Accept header is recorded.
 */
import { createHash, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import type { RestEndpointMethodTypes } from "@octokit/rest";
import { Ajv2019, type ErrorObject, type ValidateFunction } from "ajv/dist/2019.js";
import { fullFormats } from "ajv-formats/dist/formats.js";

/** `full-repository`, which also has to fit the `repository` embedded in pull requests' head/base. */
type Repository = RestEndpointMethodTypes["repos"]["get"]["response"]["data"] & PullRequest["head"]["repo"];
export type PullRequest = RestEndpointMethodTypes["pulls"]["create"]["response"]["data"];
type PullRequestSimple = RestEndpointMethodTypes["pulls"]["list"]["response"]["data"][number];
type Label = RestEndpointMethodTypes["issues"]["addLabels"]["response"]["data"][number];
type SimpleUser = PullRequest["user"];

export interface RecordedRequest {
  method: string;
  path: string;
  /** Query as sent (repeated keys become arrays), before any type coercion. */
  query: Record<string, string | string[]>;
  /** Parsed JSON body; the raw text if it was not JSON; undefined if there was none. */
  body: unknown;
  /** Parsed `Authorization` header: Octokit sends `token X`, or `bearer X` for a JWT. */
  auth: { scheme: "token" | "bearer"; token: string } | null;
  accept: string | undefined;
  userAgent: string | undefined;
  /** GitHub's operationId (e.g. "pulls/create") once the route matched the description. */
  operationId: string | null;
  status: number;
}

export interface Violation {
  kind: "headers" | "unknown-operation" | "request-schema" | "unimplemented" | "response-schema" | "internal";
  method: string;
  path: string;
  operationId: string | null;
  message: string;
}

export interface InjectedFailure {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface GitHubApiServerOptions {
  /** Login of the token's owner: author of the pull requests created here. */
  viewer?: string;
  /** Web host used in `html_url` fields. */
  htmlUrl?: string;
}

// ---------------------------------------------------------------------------------------------
// GitHub's OpenAPI description
// ---------------------------------------------------------------------------------------------

/**
 * `@octokit/openapi`'s index.js requires all ten descriptions it ships (~400 MB of JSON, ~4 s,
 * ~900 MB RSS), so read the single api.github.com file instead. The non-dereferenced file is
 * 13 MB (~0.2 s to parse) where the `.deref` twin is 73 MB (~0.7 s, ~250 MB RSS); Ajv resolves
 * the `$ref`s itself, and only for the operations actually called.
 */
const SPEC_FILE = createRequire(import.meta.url).resolve("@octokit/openapi/generated/api.github.com.json");
/** Base URI under which Ajv knows the whole description, so its `#/components/...` refs resolve. */
const SPEC_ID = "https://api.github.com/openapi.json";
const DEFAULT_DOCS_URL = "https://docs.github.com/rest";

interface OpenApiReference {
  $ref: string;
}
interface OpenApiParameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  /** GitHub's marker for path parameters that may contain `/` (branch names, file paths). */
  "x-multi-segment"?: boolean;
}
interface OpenApiOperation {
  operationId: string;
  externalDocs?: { url: string };
  parameters?: Array<OpenApiParameter | OpenApiReference>;
  requestBody?: { required?: boolean; content: Record<string, unknown> };
  responses: Record<string, OpenApiResponse | OpenApiReference>;
}
interface OpenApiResponse {
  content?: Record<string, unknown>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { parameters: Record<string, OpenApiParameter>; responses: Record<string, OpenApiResponse> };
}

interface ParameterSpec {
  name: string;
  required: boolean;
  schemaRef: string;
}

interface Operation {
  id: string;
  docsUrl: string;
  pathParameters: ParameterSpec[];
  queryParameters: ParameterSpec[];
  /** Whether the operation takes a body at all, whatever its media type. */
  takesBody: boolean;
  bodyRequired: boolean;
  /** Schema of the `application/json` body, if the operation takes one. */
  jsonBodyRef: string | undefined;
  /** Documented JSON response schema per status code. */
  responseRefs: Map<number, string>;
}

interface Route {
  regex: RegExp;
  names: string[];
  /** Literal characters in the template: `/pulls/comments` must win over `/pulls/{pull_number}`. */
  literalLength: number;
  operations: Map<string, Operation>;
}

type RouteMatch =
  | { operation: Operation; pathParameters: Record<string, string> }
  | { operation: undefined; reason: string };

/** A location in the description as a URI fragment Ajv can resolve: JSON Pointer, then %-encoded
 * (path templates contain `/`, `{` and `}`). */
function pointer(...segments: string[]): string {
  return `#/${segments.map((s) => encodeURIComponent(s.replaceAll("~", "~0").replaceAll("/", "~1"))).join("/")}`;
}

/**
 * GitHub's description is OpenAPI 3.0, which allows `nullable: true` on a schema with no `type`
 * (e.g. `{ nullable: true, allOf: [...] }`); Ajv only accepts `nullable` next to `type` and throws
 * at compile time otherwise. Rewrite those into plain JSON Schema once, right after loading.
 */
function rewriteTypelessNullable(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(rewriteTypelessNullable);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const schema = node as Record<string, unknown>;
  Object.values(schema).forEach(rewriteTypelessNullable);
  if (schema.nullable === true && schema.type === undefined) {
    delete schema.nullable;
    const nonNull = { ...schema };
    for (const key of Object.keys(schema)) delete schema[key];
    schema.anyOf = [nonNull, { type: "null" }];
  }
}

/** GitHub's parameter and response `$ref`s all point at `#/components/<kind>/<name>`. */
function resolve<T extends OpenApiParameter | OpenApiResponse>(components: Record<string, T>, item: T | OpenApiReference): T {
  if (!("$ref" in item)) return item;
  const resolved = components[item.$ref.split("/").pop() ?? ""];
  if (!resolved) throw new Error(`unresolvable ${item.$ref}`);
  return resolved;
}

function describeErrors(errors: ErrorObject[] | null | undefined, dataVar: string): string[] {
  return (errors ?? []).map((e) => `${dataVar}${e.instancePath} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
}

class GitHubOpenApi {
  /** Bodies and responses: JSON already carries its types, so `"yes"` must not pass as a boolean. */
  private readonly strictAjv: Ajv2019;
  /** Path and query parameters arrive as strings: `per_page=30` must count as the integer 30. */
  private readonly coercingAjv: Ajv2019;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly routes: Route[];

  constructor(private readonly document: OpenApiDocument) {
    // Draft 2019-09 for `unevaluatedProperties`, which rejects unknown body fields through the
    // description's allOf/oneOf/$ref. `strict: false`: the description is third-party and uses
    // OpenAPI annotations (`example`, `x-github`...) that strict mode would refuse to compile.
    // `validateSchema: false`: the document is OpenAPI, not a JSON Schema; checking it against the
    // meta-schema is meaningless and costs ~100 ms per instance.
    const options = {
      strict: false,
      validateSchema: false,
      allErrors: true,
      formats: { ...fullFormats, "repo.nwo": /^[\w.-]+\/[\w.-]+$/ },
    };
    this.strictAjv = new Ajv2019(options);
    this.coercingAjv = new Ajv2019({ ...options, coerceTypes: "array" });
    this.strictAjv.addSchema(document, SPEC_ID);
    this.coercingAjv.addSchema(document, SPEC_ID);
    this.routes = Object.entries(document.paths)
      .map(([template, pathItem]) => this.buildRoute(template, pathItem))
      .sort((a, b) => b.literalLength - a.literalLength);
  }

  match(method: string, pathname: string): RouteMatch {
    let methodMismatch = false;
    for (const route of this.routes) {
      const found = route.regex.exec(pathname);
      if (!found) continue;
      const operation = route.operations.get(method);
      if (!operation) {
        methodMismatch = true;
        continue;
      }
      const pathParameters = Object.fromEntries(
        route.names.map((name, i) => [name, decodeURIComponent(found[i + 1] ?? "")]),
      );
      return { operation, pathParameters };
    }
    return {
      operation: undefined,
      reason: methodMismatch
        ? `GitHub's API has ${pathname} but no ${method} operation on it`
        : `no operation in GitHub's API matches ${method} ${pathname}`,
    };
  }

  /** Coerces `values` in place to the parameters' types; returns the problems found. */
  checkParameters(operation: Operation, location: "path" | "query", values: Record<string, unknown>): string[] {
    const parameters = location === "path" ? operation.pathParameters : operation.queryParameters;
    const validate = this.compile(this.coercingAjv, `${operation.id} ${location}`, () => ({
      type: "object",
      properties: Object.fromEntries(parameters.map((p) => [p.name, { $ref: p.schemaRef }])),
      required: parameters.filter((p) => p.required).map((p) => p.name),
      additionalProperties: false,
    }));
    return validate(values) ? [] : describeErrors(validate.errors, location);
  }

  checkBody(operation: Operation, bodyRef: string, body: unknown): string[] {
    const validate = this.compile(this.strictAjv, `${operation.id} body`, () => ({
      $ref: bodyRef,
      unevaluatedProperties: false,
    }));
    return validate(body) ? [] : describeErrors(validate.errors, "body");
  }

  /** Undocumented statuses (e.g. a 404 GitHub gives but does not list) are not checked. */
  checkResponse(operation: Operation, status: number, body: unknown): string[] {
    const ref = operation.responseRefs.get(status);
    if (ref === undefined) return [];
    const validate = this.compile(this.strictAjv, `${operation.id} ${status}`, () => ({ $ref: ref }));
    return validate(body) ? [] : describeErrors(validate.errors, "response");
  }

  /** Compiling is the slow part (up to ~100 ms for a big schema), so only on first use. */
  private compile(ajv: Ajv2019, key: string, schema: () => object): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = ajv.compile(schema());
      this.compiled.set(key, validate);
    }
    return validate;
  }

  private buildRoute(template: string, pathItem: Record<string, OpenApiOperation>): Route {
    const operations = new Map(
      Object.entries(pathItem).map(([method, op]) => [method.toUpperCase(), this.buildOperation(template, method, op)]),
    );
    const multiSegment = new Set(
      Object.values(pathItem).flatMap((op) =>
        (op.parameters ?? []).map((p) => resolve(this.document.components.parameters, p)).filter((p) => p["x-multi-segment"]).map((p) => p.name),
      ),
    );
    const names: string[] = [];
    let literalLength = 0;
    const source = template.replace(/\{([^}]+)\}|[^{]+/g, (text: string, name: string | undefined) => {
      if (name === undefined) {
        literalLength += text.length;
        return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      }
      names.push(name);
      return multiSegment.has(name) ? "(.+)" : "([^/]+)";
    });
    return { regex: new RegExp(`^${source}$`), names, literalLength, operations };
  }

  private buildOperation(template: string, method: string, op: OpenApiOperation): Operation {
    const parameters = (op.parameters ?? []).map((p, i) => {
      const resolved = resolve(this.document.components.parameters, p);
      const location = "$ref" in p ? p.$ref : pointer("paths", template, method, "parameters", String(i));
      const schemaRef = `${SPEC_ID}${location}/schema`;
      return { in: resolved.in, spec: { name: resolved.name, required: resolved.required === true, schemaRef } };
    });
    const responseRefs = new Map<number, string>();
    for (const [status, response] of Object.entries(op.responses)) {
      const location = "$ref" in response ? response.$ref : pointer("paths", template, method, "responses", status);
      if (resolve(this.document.components.responses, response).content?.["application/json"]) {
        responseRefs.set(Number(status), `${SPEC_ID}${location}/content/application~1json/schema`);
      }
    }
    return {
      id: op.operationId,
      docsUrl: op.externalDocs?.url ?? DEFAULT_DOCS_URL,
      pathParameters: parameters.filter((p) => p.in === "path").map((p) => p.spec),
      queryParameters: parameters.filter((p) => p.in === "query").map((p) => p.spec),
      takesBody: op.requestBody !== undefined,
      bodyRequired: op.requestBody?.required === true,
      jsonBodyRef: op.requestBody?.content["application/json"]
        ? `${SPEC_ID}${pointer("paths", template, method, "requestBody", "content", "application/json", "schema")}`
        : undefined,
      responseRefs,
    };
  }
}

/** Loaded once per process (per test file under vitest) and shared by every server instance. */
let specPromise: Promise<GitHubOpenApi> | undefined;
function loadGitHubOpenApi(): Promise<GitHubOpenApi> {
  specPromise ??= readFile(SPEC_FILE, "utf8").then((text) => {
    const document = JSON.parse(text) as OpenApiDocument;
    rewriteTypelessNullable(document);
    return new GitHubOpenApi(document);
  });
  return specPromise;
}

// ---------------------------------------------------------------------------------------------
// GitHub-shaped JSON
// ---------------------------------------------------------------------------------------------

/** GitHub's timestamps have no milliseconds. */
function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Stable fake commit SHA per repository and branch. */
function fakeSha(fullName: string, ref: string): string {
  return createHash("sha1").update(`${fullName}:${ref}`).digest("hex");
}

/** Stable fake user id per login, so the same account looks the same wherever it appears. */
function userId(login: string): number {
  return Number.parseInt(fakeSha("users", login.toLowerCase()).slice(0, 7), 16);
}

function nodeId(prefix: string, id: number): string {
  return `${prefix}_${Buffer.from(String(id)).toString("base64url")}`;
}

function errorBody(status: number, message: string, docsUrl: string, errors?: unknown[]) {
  return { message, ...(errors ? { errors } : {}), documentation_url: docsUrl, status: String(status) };
}

function userJson(api: string, html: string, login: string): SimpleUser {
  const id = userId(login);
  const url = `${api}/users/${login}`;
  return {
    login,
    id,
    node_id: nodeId("U", id),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: "",
    url,
    html_url: `${html}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: "User",
    user_view_type: "public",
    site_admin: false,
  };
}

interface RepoState {
  owner: string;
  name: string;
  id: number;
  defaultBranch: string;
  private: boolean;
  createdAt: string;
  pulls: PullRequest[];
  /** Keyed by lower-cased name: GitHub label names are case-insensitive. */
  labels: Map<string, Label>;
  /** Issues and pull requests share one number sequence. */
  nextNumber: number;
}

/** The `full-repository` object of GET /repos/{owner}/{repo}, also embedded in pull requests. */
function repositoryJson(api: string, html: string, repo: RepoState): Repository {
  const fullName = `${repo.owner}/${repo.name}`;
  const url = `${api}/repos/${fullName}`;
  const htmlUrl = `${html}/${fullName}`;
  const host = new URL(html).host;
  return {
    id: repo.id,
    node_id: nodeId("R", repo.id),
    name: repo.name,
    full_name: fullName,
    owner: userJson(api, html, repo.owner),
    private: repo.private,
    visibility: repo.private ? "private" : "public",
    html_url: htmlUrl,
    description: null,
    fork: false,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_url: `git://${host}/${fullName}.git`,
    hooks_url: `${url}/hooks`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    ssh_url: `git@${host}:${fullName}.git`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
    clone_url: `${htmlUrl}.git`,
    mirror_url: null,
    svn_url: htmlUrl,
    homepage: null,
    language: null,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 0,
    default_branch: repo.defaultBranch,
    open_issues: repo.pulls.filter((pr) => pr.state === "open").length,
    open_issues_count: repo.pulls.filter((pr) => pr.state === "open").length,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    pushed_at: repo.createdAt,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
    allow_rebase_merge: true,
    allow_squash_merge: true,
    allow_merge_commit: true,
    allow_auto_merge: false,
    delete_branch_on_merge: false,
    allow_forking: true,
    web_commit_signoff_required: false,
    license: null,
    network_count: 0,
    subscribers_count: 0,
  };
}

/** GitHub's list endpoint returns pull requests without the fields that need a merge computation. */
function toSimple(pr: PullRequest): PullRequestSimple {
  const {
    merged, mergeable, rebaseable, mergeable_state, merged_by, comments, review_comments,
    maintainer_can_modify, commits, additions, deletions, changed_files, ...simple
  } = pr;
  return {
    ...simple,
    // The description's pull-request-simple wants a string label description where GitHub sends
    // null; answer "" so the list still fits the documented schema.
    labels: simple.labels.map((label) => ({ ...label, description: label.description ?? "" })),
    // Team review requests are not modelled (and list entries use a different team shape).
    requested_teams: [],
  };
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface HandlerContext {
  operation: Operation;
  /** Path and query parameters, already validated and coerced to the schema's types. */
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  /** Validated against the operation's body schema. */
  body: unknown;
  url: URL;
}

type Handler = (ctx: HandlerContext) => Reply;

export class GitHubApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly violations: Violation[] = [];
  private readonly repos = new Map<string, RepoState>();
  private readonly failures: Array<{ operationId: string; failure: InjectedFailure }> = [];
  private readonly viewer: string;
  private readonly htmlUrl: string;
  private server: Server | undefined;
  private apiUrl = "";
  private spec: GitHubOpenApi | undefined;
  private nextId = 1000;

  constructor(options: GitHubApiServerOptions = {}) {
    this.viewer = options.viewer ?? "octocat";
    this.htmlUrl = options.htmlUrl ?? "https://github.com";
  }

  /** Every pull request created so far, across repositories. Live objects: a test may set
   * `state = "closed"` on one to simulate GitHub-side changes. */
  get pulls(): PullRequest[] {
    return [...this.repos.values()].flatMap((repo) => repo.pulls);
  }

  get url(): string {
    if (!this.server) throw new Error("GitHubApiServer is not started");
    return this.apiUrl;
  }

  async start(): Promise<{ url: string }> {
    this.spec = await loadGitHubOpenApi();
    const server = createServer((req, res) => {
      this.handle(req).then(
        (reply) => {
          res.writeHead(reply.status, {
            "content-type": "application/json; charset=utf-8",
            "x-github-request-id": randomUUID(),
            ...reply.headers,
          });
          res.end(JSON.stringify(reply.body));
        },
        // Only reading the request can fail here (client went away): nothing left to answer.
        () => res.destroy(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    this.server = server;
    this.apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url: this.apiUrl };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    // Node's fetch keeps connections alive; without this, close() waits for them to time out.
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  }

  addRepo(owner: string, repo: string, options: { defaultBranch?: string; private?: boolean } = {}): void {
    this.repos.set(`${owner}/${repo}`.toLowerCase(), {
      owner,
      name: repo,
      id: this.nextId++,
      defaultBranch: options.defaultBranch ?? "main",
      private: options.private ?? false,
      createdAt: timestamp(),
      pulls: [],
      labels: new Map(),
      nextNumber: 1,
    });
  }

  /** The next valid request to `operationId` (GitHub's, e.g. "repos/get") gets this reply
   * instead; one failure per call, consumed in order. */
  failNext(operationId: string, failure: InjectedFailure): void {
    this.failures.push({ operationId, failure });
  }

  /** With no body, a 422 looks like GitHub's "Validation Failed". */
  failNextCreatePull(status: number, body?: unknown): void {
    this.failNext("pulls/create", { status, body });
  }

  private async handle(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? "/", this.apiUrl);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString("utf8");
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(key);
      query[key] = values.length === 1 ? (values[0] ?? "") : values;
    }
    const auth = /^(token|bearer) (\S+)$/i.exec(req.headers.authorization ?? "");
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query,
      body: rawBody === "" ? undefined : parseJson(rawBody) ?? rawBody,
      auth: auth ? { scheme: auth[1]?.toLowerCase() === "bearer" ? "bearer" : "token", token: auth[2] ?? "" } : null,
      accept: req.headers.accept,
      userAgent: req.headers["user-agent"],
      operationId: null,
      status: 0,
    };
    this.requests.push(record);
    let reply: Reply;
    try {
      reply = this.dispatch(record, url, rawBody, req.headers["content-type"]);
    } catch (error) {
      this.violate(record, "internal", error instanceof Error ? (error.stack ?? error.message) : String(error));
      reply = { status: 500, body: errorBody(500, "Server Error", DEFAULT_DOCS_URL) };
    }
    record.status = reply.status;
    return reply;
  }

  private dispatch(record: RecordedRequest, url: URL, rawBody: string, contentType: string | undefined): Reply {
    if (!record.auth) {
      this.violate(record, "headers", "Authorization header missing or not `token X` / `Bearer X`");
      return { status: 401, body: errorBody(401, "Requires authentication", DEFAULT_DOCS_URL) };
    }
    if (!record.userAgent) {
      // GitHub refuses requests without a User-Agent outright.
      this.violate(record, "headers", "User-Agent header missing");
      return { status: 403, body: errorBody(403, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header", DEFAULT_DOCS_URL) };
    }
    if (!record.accept) this.violate(record, "headers", "Accept header missing");

    const spec = this.requireSpec();
    const match = spec.match(record.method.toUpperCase(), url.pathname);
    if (!match.operation) {
      this.violate(record, "unknown-operation", match.reason);
      return { status: 404, body: errorBody(404, "Not Found", DEFAULT_DOCS_URL) };
    }
    const { operation } = match;
    record.operationId = operation.id;

    const params: Record<string, unknown> = { ...match.pathParameters };
    const query: Record<string, unknown> = structuredClone(record.query);
    const problems = [...spec.checkParameters(operation, "path", params), ...spec.checkParameters(operation, "query", query)];
    let body: unknown;
    if (rawBody === "") {
      if (operation.bodyRequired) problems.push("body is required");
    } else if (!operation.takesBody) {
      problems.push("body sent to an operation that takes none");
    } else if (operation.jsonBodyRef !== undefined) {
      body = parseJson(rawBody);
      if (body === undefined) {
        this.violate(record, "request-schema", "body is not valid JSON");
        return { status: 400, body: errorBody(400, "Problems parsing JSON", operation.docsUrl) };
      }
      if (!contentType?.startsWith("application/json")) problems.push(`content-type is ${contentType ?? "missing"}, not application/json`);
      problems.push(...spec.checkBody(operation, operation.jsonBodyRef, body));
    }
    if (problems.length > 0) {
      this.violate(record, "request-schema", problems.join("\n"));
      return { status: 422, body: errorBody(422, `Invalid request.\n\n${problems.join("\n")}`, operation.docsUrl) };
    }

    const failure = this.takeFailure(operation.id);
    if (failure) {
      const message = failure.status === 422 ? "Validation Failed" : (STATUS_CODES[failure.status] ?? "Error");
      return { status: failure.status, body: failure.body ?? errorBody(failure.status, message, operation.docsUrl), headers: failure.headers };
    }

    const handler = this.handlers[operation.id];
    if (!handler) {
      this.violate(record, "unimplemented", `${operation.id} is valid for GitHub but not played by this fake`);
      return { status: 404, body: errorBody(404, "Not Found", operation.docsUrl) };
    }
    const reply = handler({ operation, params, query, body, url });
    const responseProblems = spec.checkResponse(operation, reply.status, reply.body);
    if (responseProblems.length > 0) this.violate(record, "response-schema", responseProblems.join("\n"));
    return reply;
  }

  private readonly handlers: Record<string, Handler> = {
    "repos/get": ({ operation, params }) => {
      const repo = this.findRepo(params);
      if (!repo) return notFound(operation);
      return { status: 200, body: repositoryJson(this.apiUrl, this.htmlUrl, repo) };
    },

    "pulls/create": ({ operation, params, body }) => {
      const repo = this.findRepo(params);
      if (!repo) return notFound(operation);
      const input = body as RestEndpointMethodTypes["pulls"]["create"]["parameters"];
      if (input.title === undefined) {
        // Converting an issue (`issue` instead of `title`) is not modelled.
        return validationFailed(operation, [{ resource: "PullRequest", field: "title", code: "missing_field" }]);
      }
      // `head` is "branch" or, across forks, "user:branch"; GitHub labels it "user:branch" either way.
      const colon = input.head.indexOf(":");
      const [headOwner, headRef] = colon === -1 ? [repo.owner, input.head] : [input.head.slice(0, colon), input.head.slice(colon + 1)];
      const headLabel = `${headOwner}:${headRef}`;
      if (repo.pulls.some((pr) => pr.state === "open" && pr.head.label === headLabel)) {
        return validationFailed(operation, [
          { resource: "PullRequest", code: "custom", message: `A pull request already exists for ${headLabel}.` },
        ]);
      }
      const pr = this.pullRequestJson(repo, {
        title: input.title,
        body: input.body ?? null,
        draft: input.draft ?? false,
        headOwner,
        headRef,
        base: input.base,
        maintainerCanModify: input.maintainer_can_modify ?? false,
      });
      repo.pulls.push(pr);
      return { status: 201, body: pr, headers: { location: pr.url } };
    },

    "pulls/list": ({ operation, params, query, url }) => {
      const repo = this.findRepo(params);
      if (!repo) return notFound(operation);
      const { state = "open", head, base, direction = "desc", per_page = 30, page = 1 } =
        query as RestEndpointMethodTypes["pulls"]["list"]["parameters"];
      // Like GitHub: `head` without the "user:" prefix is silently ignored, a classic product bug.
      const headFilter = head?.includes(":") ? head : undefined;
      const matching = repo.pulls
        .filter((pr) => state === "all" || pr.state === state)
        .filter((pr) => headFilter === undefined || pr.head.label === headFilter)
        .filter((pr) => base === undefined || pr.base.ref === base)
        .sort((a, b) => (direction === "asc" ? a.number - b.number : b.number - a.number));
      const pageItems = matching.slice((page - 1) * per_page, page * per_page);
      const headers: Record<string, string> = {};
      if (page * per_page < matching.length) {
        const next = new URL(url);
        next.searchParams.set("page", String(page + 1));
        headers.link = `<${next.href}>; rel="next"`;
      }
      return { status: 200, body: pageItems.map(toSimple), headers };
    },

    "issues/add-labels": ({ operation, params, body }) => {
      const repo = this.findRepo(params);
      const pr = repo?.pulls.find((p) => p.number === params.issue_number);
      if (!repo || !pr) return notFound(operation);
      const input = body as { labels?: Array<string | { name: string }> };
      for (const label of input.labels ?? []) {
        const name = typeof label === "string" ? label : label.name;
        if (pr.labels.some((l) => l.name.toLowerCase() === name.toLowerCase())) continue;
        // GitHub creates labels that do not exist yet in the repository.
        let known = repo.labels.get(name.toLowerCase());
        if (!known) {
          const id = this.nextId++;
          known = {
            id,
            node_id: nodeId("LA", id),
            url: `${this.apiUrl}/repos/${repo.owner}/${repo.name}/labels/${encodeURIComponent(name)}`,
            name,
            description: null,
            color: "ededed",
            default: false,
          };
          repo.labels.set(name.toLowerCase(), known);
        }
        pr.labels.push(known);
      }
      pr.updated_at = timestamp();
      return { status: 200, body: pr.labels };
    },
  };

  private pullRequestJson(
    repo: RepoState,
    input: { title: string; body: string | null; draft: boolean; headOwner: string; headRef: string; base: string; maintainerCanModify: boolean },
  ): PullRequest {
    const number = repo.nextNumber++;
    const id = this.nextId++;
    const now = timestamp();
    const fullName = `${repo.owner}/${repo.name}`;
    const repoUrl = `${this.apiUrl}/repos/${fullName}`;
    const url = `${repoUrl}/pulls/${number}`;
    const htmlUrl = `${this.htmlUrl}/${fullName}/pull/${number}`;
    const headSha = fakeSha(fullName, input.headRef);
    const repoJson = repositoryJson(this.apiUrl, this.htmlUrl, repo);
    const author = userJson(this.apiUrl, this.htmlUrl, this.viewer);
    // Forks are not modelled: a "user:branch" head still points at this repository.
    const headUser = userJson(this.apiUrl, this.htmlUrl, input.headOwner);
    const links = {
      self: { href: url },
      html: { href: htmlUrl },
      issue: { href: `${repoUrl}/issues/${number}` },
      comments: { href: `${repoUrl}/issues/${number}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${repoUrl}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${repoUrl}/statuses/${headSha}` },
    };
    return {
      url,
      id,
      node_id: nodeId("PR", id),
      html_url: htmlUrl,
      diff_url: `${htmlUrl}.diff`,
      patch_url: `${htmlUrl}.patch`,
      issue_url: links.issue.href,
      commits_url: links.commits.href,
      review_comments_url: links.review_comments.href,
      review_comment_url: links.review_comment.href,
      comments_url: links.comments.href,
      statuses_url: links.statuses.href,
      number,
      state: "open",
      locked: false,
      title: input.title,
      user: author,
      body: input.body,
      labels: [],
      milestone: null,
      active_lock_reason: null,
      created_at: now,
      updated_at: now,
      closed_at: null,
      merged_at: null,
      merge_commit_sha: null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: { label: `${input.headOwner}:${input.headRef}`, ref: input.headRef, sha: headSha, user: headUser, repo: repoJson },
      base: { label: `${repo.owner}:${input.base}`, ref: input.base, sha: fakeSha(fullName, input.base), user: repoJson.owner, repo: repoJson },
      _links: links,
      author_association: this.viewer === repo.owner ? "OWNER" : "CONTRIBUTOR",
      auto_merge: null,
      draft: input.draft,
      merged: false,
      // GitHub computes mergeability in the background: a fresh pull request says "not known yet".
      mergeable: null,
      rebaseable: null,
      mergeable_state: "unknown",
      merged_by: null,
      comments: 0,
      review_comments: 0,
      maintainer_can_modify: input.maintainerCanModify,
      commits: 1,
      additions: 0,
      deletions: 0,
      changed_files: 0,
    };
  }

  private takeFailure(operationId: string): InjectedFailure | undefined {
    const index = this.failures.findIndex((f) => f.operationId === operationId);
    return index === -1 ? undefined : this.failures.splice(index, 1)[0]?.failure;
  }

  private findRepo(params: Record<string, unknown>): RepoState | undefined {
    return this.repos.get(`${String(params.owner)}/${String(params.repo)}`.toLowerCase());
  }

  private requireSpec(): GitHubOpenApi {
    if (!this.spec) throw new Error("GitHubApiServer is not started");
    return this.spec;
  }

  private violate(record: RecordedRequest, kind: Violation["kind"], message: string): void {
    this.violations.push({ kind, method: record.method, path: record.path, operationId: record.operationId, message });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function notFound(operation: Operation): Reply {
  return { status: 404, body: errorBody(404, "Not Found", operation.docsUrl) };
}

function validationFailed(operation: Operation, errors: unknown[]): Reply {
  return { status: 422, body: errorBody(422, "Validation Failed", operation.docsUrl, errors) };
}
