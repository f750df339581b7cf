"""openapi(path): an OpenAPI 3.x or Swagger 2.0 document, in YAML or JSON, as its operations.

`every op in api: …` walks `api.operations`. Fields of `OpenAPI`:

- `version`: the `openapi` or `swagger` field as written (`3.1.0`, `3.0.3`, `2.0`).
- `title`, `description`, `api_version`: from `info` (`api_version` is `info.version`).
- `operations`: every operation under `paths`, in document order.
- `webhooks`: the operations under `webhooks` (OpenAPI 3.1); their `path` is the webhook's name.
- `servers`: server URLs (Swagger 2: `schemes`, `host` and `basePath` put together).
- `security`: the document's default security requirements (`security` at the top).
- `security_schemes`: the names of the schemes it defines (`components.securitySchemes`,
  Swagger 2 `securityDefinitions`).
- `schemas`: the named schemas (`components.schemas`, Swagger 2 `definitions`), resolved.
- `tags`: the tag names declared at the top.
- `path`: the file.

Each `Operation` is located at its method's line (`line`) and has `method` (lowercase: `get`,
`post`, …), `path` (`/pets/{id}`), `text` (`GET /pets/{id}`, what a message shows),
`operation_id`, `summary`, `description` (null when absent), `tags`, `deprecated`,
`parameters` (the path item's and the operation's, the operation's winning for the same
`name` and `in`: `name`, `in`, `required`, `description`, `deprecated`, `schema`),
`request_body` (null when there is none: `required`, `description`, `content_types`,
`schema`, `schema_ref`, `examples`), `responses` (each with `status` as written: `200`,
`4XX`, `default`; `text` (the same), `description`, `content_types`, `headers` (names),
`schema`, `schema_ref`, `examples`), `security` (the requirements in effect: the
operation's own `security` when it has one, else the document's; an explicit `security: []`
means none), `security_declared` (the operation or the document writes `security`, so an
empty `security` is a documented "public", not an omission), `security_schemes` (the
scheme names those requirements use, once each),
and `examples` (every request, response and parameter example: `in` is `request`,
`response` or `parameter`, with `name` (the key under `examples`, or null for a lone
`example`), `status`, `content_type`, `summary`, `value`).

A body's or response's `schema` is the one of `application/json` when it has one, else of
its first media type; `schema_ref` is the `$ref` it was written as (`#/components/schemas/Error`),
or null. Swagger 2 is read the same way: a `body` parameter, or the `formData` ones, make
the `request_body` (its `content_types` from `consumes`), a response's `content_types` come
from `produces`, its `examples` from `examples`; `x-examples` of a body parameter count too.

`$ref`s inside the file (`#/components/…`, `#/definitions/…`) are resolved, at any depth,
and each target is resolved once and shared. A reference that would recurse (a tree schema
that contains itself) is left as written (`{"$ref": "#/components/schemas/Node"}`) where it
closes the loop, so nothing is infinite; schemas in a loop of several (A holds B, B holds A)
share one resolution, made from the one the document reaches first.
References to other files or URLs are never followed: they stay as written and a
`note[PL408]` names them; so does a local reference that points at nothing. When resolving
every reference would nest deeper than 200 levels (long chains of schemas, as in large
vendor APIs) or expand to more than 1,000,000 values (a "reference bomb"), schemas are
resolved one level deep instead (a schema that is a `$ref` is its target; the `$ref`s
inside it stay as written) and a `note[PL408]` says so. Callbacks and links are not read.
"""
from __future__ import annotations

from urllib.parse import unquote

from ..errors import ArtifactError
from ..signature import loader
from ..types import ANY, BOOL, NUMBER, PATH, STR, List, record
from ..values import Loc, LStr, PathValue, Record, new_lstr
from .data import MAX_DEPTH, Data, DataList, _key_like, _MISSING, decode, parse_data, pointer_parts

MAX_REF_EXPANSION = 1_000_000

EXAMPLE = record("Example", "A request, response or parameter example.", {
    "in": (STR, "`request`, `response` or `parameter`"),
    "name": (STR, "its key under `examples`, or null for a lone `example`"),
    "status": (STR, "the response's status, for a response example; else null"),
    "parameter": (STR, "the parameter's name, for a parameter example; else null"),
    "content_type": (STR, "the media type it is written under, or null"),
    "summary": (STR, "its summary, or null"),
    "value": (ANY, "the example value (null for an `externalValue`)"),
    "line": (NUMBER, "line number"),
})
PARAMETER = record("Parameter", "A parameter of an operation.", {
    "name": (STR, "its name"),
    "in": (STR, "`path`, `query`, `header` or `cookie` (Swagger 2: also `formData`)"),
    "required": (BOOL, "it must be given"),
    "description": (STR, "its description, or null"),
    "deprecated": (BOOL, "marked deprecated"),
    "schema": (ANY, "its schema (Swagger 2: built from `type`, `format`, `items`, `enum`, …)"),
    "line": (NUMBER, "line number"),
})
REQUEST_BODY = record("RequestBody", "What an operation accepts as its body.", {
    "required": (BOOL, "a body must be sent"),
    "description": (STR, "its description, or null"),
    "content_types": (List(STR), "its media types, `application/json`, …"),
    "schema": (ANY, "the schema of `application/json`, else of the first media type; or null"),
    "schema_ref": (STR, "the `$ref` that schema was written as, or null"),
    "examples": (List(EXAMPLE), "its examples"),
    "line": (NUMBER, "line number"),
})
RESPONSE = record("Response", "One response of an operation.", {
    "status": (STR, "the status as written: `200`, `4XX`, `default`"),
    "text": (STR, "the status again, so a response compares with `\"404\"`"),
    "description": (STR, "its description, or null"),
    "content_types": (List(STR), "its media types"),
    "headers": (List(STR), "the names of its headers"),
    "schema": (ANY, "the schema of `application/json`, else of the first media type; or null"),
    "schema_ref": (STR, "the `$ref` that schema was written as, or null"),
    "examples": (List(EXAMPLE), "its examples"),
    "line": (NUMBER, "line number"),
})
OPERATION = record("Operation", "An operation: one method on one path.", {
    "method": (STR, "lowercase: `get`, `post`, `put`, `patch`, `delete`, `head`, `options`, `trace`"),
    "path": (STR, "the path as written, `/pets/{id}` (a webhook's name for webhooks)"),
    "text": (STR, "`GET /pets/{id}`"),
    "operation_id": (STR, "its `operationId`, or null"),
    "summary": (STR, "its summary, or null"),
    "description": (STR, "its description, or null"),
    "tags": (List(STR), "its tags"),
    "deprecated": (BOOL, "marked deprecated"),
    "parameters": (List(PARAMETER), "its parameters and its path's"),
    "request_body": (REQUEST_BODY, "its body, or null"),
    "responses": (List(RESPONSE), "its responses in document order"),
    "security": (List(ANY), "the security requirements in effect (each a map from scheme to scopes)"),
    "security_declared": (BOOL, "the operation or the document writes `security` (`[]` included)"),
    "security_schemes": (List(STR), "the scheme names those requirements use"),
    "examples": (List(EXAMPLE), "every example of its body, responses and parameters"),
    "line": (NUMBER, "line number of its method"),
})
OPENAPI = record("OpenAPI", "An OpenAPI 3.x or Swagger 2.0 document; walking it walks its operations.", {
    "version": (STR, "`openapi` or `swagger` as written: `3.1.0`, `2.0`"),
    "title": (STR, "`info.title`"),
    "description": (STR, "`info.description`, or null"),
    "api_version": (STR, "`info.version`"),
    "operations": (List(OPERATION), "every operation under `paths`"),
    "webhooks": (List(OPERATION), "the operations under `webhooks` (3.1)"),
    "servers": (List(STR), "server URLs"),
    "security": (List(ANY), "the document's default security requirements"),
    "security_schemes": (List(STR), "names of the security schemes it defines"),
    "schemas": (ANY, "the named schemas, resolved"),
    "tags": (List(STR), "the tag names declared at the top"),
    "path": (PATH, "the file"),
}, iterates="operations")

METHODS_3 = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
METHODS_2 = ("get", "put", "post", "delete", "options", "head", "patch")
_SWAGGER_SCHEMA_KEYS = ("type", "format", "items", "collectionFormat", "default", "maximum", "exclusiveMaximum",
                        "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems",
                        "minItems", "uniqueItems", "enum", "multipleOf")


@loader("openapi", {"path": STR}, OPENAPI,
        doc="An OpenAPI 3.x / Swagger 2 document: its operations with summaries, bodies, responses, security.")
def load_openapi(repo, path):
    norm = repo.normalize(path)
    return repo.memo(("openapi", norm),
                     lambda: parse_openapi(decode(repo.read_bytes(norm), norm), norm, repo.notice))


class _TooDeep(Exception):
    """Resolving every `$ref` would nest too deep or expand too far: resolve one level instead."""

    def __init__(self, reason: str, line):
        super().__init__(reason)
        self.reason = reason
        self.line = line


def parse_openapi(text: str, path: str, notice=None) -> Record:
    """The `OpenAPI` record of `text`, as if read from `path` (pure but for `notice`)."""
    doc = parse_data(text, path, notice)
    if not isinstance(doc, dict):
        raise ArtifactError(path, "not an OpenAPI document: the file holds no mapping")
    reader = _Reader(doc, path, notice, deep=True)
    try:
        return reader.read()
    except (_TooDeep, RecursionError) as exc:
        reason = exc.reason if isinstance(exc, _TooDeep) else "nest too deeply"
        line = exc.line if isinstance(exc, _TooDeep) else None
    if notice is not None:
        notice(path, line, "PL408", f"`$ref`s {reason}: schemas are resolved one level deep "
                                    "(the `$ref`s inside them are left as written)")
    return _Reader(doc, path, notice, deep=False).read()


def _at_line(loc):
    """Records are located at a line (`path:line`), their strings at a line and column."""
    return Loc(loc.path, loc.line) if loc is not None else None


def _text(value):
    """A string field, or null; numbers and booleans (YAML `version: 1.0`) as their text."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _strings(value) -> list:
    return [v if isinstance(v, str) else str(v) for v in value] if isinstance(value, list) else []


class _Reader:
    def __init__(self, doc: Data, path: str, notice, deep: bool):
        self.deep = deep
        self.doc = doc
        self.path = path
        self.notice = notice
        self.resolved: dict = {}  # ref -> its resolved value
        self.copies: dict = {}  # id(container) -> its resolved copy
        self.sizes: dict = {}  # id(resolved value) -> values it stands for
        self.active: list = []  # refs being resolved (a cycle returns to one of them)
        self.in_progress: set = set()  # ids of the containers being resolved
        self.expanded = 0

    # -- $ref ------------------------------------------------------------------------------
    def note(self, loc, message: str) -> None:
        if self.notice is not None:
            self.notice(self.path, loc.line if loc is not None else None, "PL408", message)

    def target(self, ref: str, loc):
        """What a local `#/…` reference points at, or _MISSING."""
        value = self.doc
        for part in pointer_parts(unquote(ref[1:])):
            if isinstance(value, dict):
                key = part if part in value else _key_like(value, part)
                if key is _MISSING:
                    return _MISSING
                value = value[key]
            elif isinstance(value, list) and part.isascii() and part.isdigit() and len(part) <= 18 \
                    and int(part) < len(value):  # `²` is a digit int() refuses; 4301 digits too
                value = value[int(part)]
            else:
                return _MISSING
        return value

    def deref(self, value):
        """`value` with a top-level `$ref` followed (once, not inside); (value, ref or None)."""
        seen = []
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            ref = value["$ref"]
            loc = value.loc_of("$ref") if isinstance(value, Data) else None
            if not ref.startswith("#"):
                self.note(loc, f"`$ref` `{ref}` points outside this file: not followed")
                return value, ref
            if ref in seen:
                return value, ref
            seen.append(ref)
            target = self.target(ref, loc)
            if target is _MISSING:
                self.note(loc, f"`$ref` `{ref}` points at nothing in this file")
                return value, ref
            value = target
        return value, (seen[0] if seen else None)

    def resolve(self, value, depth: int = 0):
        """`value` with every local `$ref` in it replaced by its target (shared, not copied);
        when not `deep`, only a `$ref` that is the value itself."""
        if depth > MAX_DEPTH:
            loc = getattr(value, "loc", None)
            raise _TooDeep(f"nest deeper than {MAX_DEPTH} levels", loc.line if loc else None)
        if not self.deep:
            return self.shallow(value)
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str):
                return self.follow(value, ref, depth)
            key = id(value)
            if key in self.copies:
                return self.copies[key]
            out = Data()
            out.loc = getattr(value, "loc", None)
            out.locs = getattr(value, "locs", {})
            size = 1
            self.in_progress.add(key)
            for k, v in value.items():
                out[k] = item = self.resolve(v, depth + 1)
                size += self.sizes.get(id(item), 1)
            self.in_progress.discard(key)
            self.copies[key] = out
            self.sizes[id(out)] = size
            return out
        if isinstance(value, list):
            key = id(value)
            if key in self.copies:
                return self.copies[key]
            out = DataList()
            out.loc = getattr(value, "loc", None)
            out.locs = getattr(value, "locs", [])
            size = 1
            self.in_progress.add(key)
            for v in value:
                item = self.resolve(v, depth + 1)
                out.append(item)
                size += self.sizes.get(id(item), 1)
            self.in_progress.discard(key)
            self.copies[key] = out
            self.sizes[id(out)] = size
            return out
        return value

    def follow(self, node, ref: str, depth: int):
        loc = node.loc_of("$ref") if isinstance(node, Data) else None
        if not ref.startswith("#"):
            self.note(loc, f"`$ref` `{ref}` points outside this file: not followed")
            return node
        if ref in self.active:
            return node  # recursion: left as written here
        if ref in self.resolved:
            result = self.resolved[ref]
        else:
            target = self.target(ref, loc)
            if target is _MISSING:
                self.note(loc, f"`$ref` `{ref}` points at nothing in this file")
                self.resolved[ref] = node
                return node
            if id(target) in self.in_progress:
                return node  # recursion into a container being resolved (not by this ref)
            self.active.append(ref)
            try:
                result = self.resolve(target, depth + 1)
            finally:
                self.active.pop()
            self.resolved[ref] = result
        siblings = [k for k in node if k != "$ref"]
        if siblings and isinstance(result, dict):  # 3.1: `summary`/`description` beside `$ref` win
            merged = Data(result)
            merged.loc, merged.locs = result.loc, dict(result.locs)
            for k in siblings:
                merged[k] = self.resolve(node[k], depth + 1)
                merged.locs[k] = node.loc_of(k)
            self.sizes[id(merged)] = self.sizes.get(id(result), 1) + len(siblings)
            result = merged
        self.expanded += self.sizes.get(id(result), 1)
        if self.expanded > MAX_REF_EXPANSION:
            raise _TooDeep(f"expand to more than {MAX_REF_EXPANSION} values", loc.line if loc else None)
        return result

    def shallow(self, value):
        """`value`, or what its own `$ref` (chain) points at, with the `$ref`'s siblings on top."""
        if not (isinstance(value, dict) and isinstance(value.get("$ref"), str)):
            return value
        result, _ = self.deref(value)
        if result is value or not isinstance(result, dict):
            return result
        siblings = [k for k in value if k != "$ref"]
        if siblings:
            merged = Data(result)
            merged.loc, merged.locs = getattr(result, "loc", None), dict(getattr(result, "locs", {}))
            for k in siblings:
                merged[k] = value[k]
                merged.locs[k] = value.loc_of(k)
            result = merged
        return result

    # -- the document ------------------------------------------------------------------------
    def read(self) -> Record:
        doc, path = self.doc, self.path
        if "openapi" in doc:
            version = _text(doc["openapi"]) or ""
            if not version.startswith("3."):
                raise ArtifactError(path, f"unsupported OpenAPI version `{version}` (3.x and Swagger 2.0 are read)",
                                    doc.loc_of("openapi").line)
            self.swagger = False
        elif "swagger" in doc:
            version = _text(doc["swagger"]) or ""
            if not version.startswith("2"):
                raise ArtifactError(path, f"unsupported Swagger version `{version}` (2.0 is read)",
                                    doc.loc_of("swagger").line)
            self.swagger = True
        else:
            raise ArtifactError(path, "not an OpenAPI document: it has no `openapi` or `swagger` field", 1)
        version_loc = doc.loc_of("openapi" if not self.swagger else "swagger")
        info = self.mapping(doc.get("info"))
        security = self.requirements(doc.get("security"))
        self.default_security = security
        if self.swagger:
            schemes_defined = self.mapping(doc.get("securityDefinitions"))
            schemas = self.resolve(self.mapping(doc.get("definitions")))
            servers = self.swagger_servers()
        else:
            components = self.mapping(doc.get("components"))
            schemes_defined = self.mapping(components.get("securitySchemes"))
            schemas = self.resolve(self.mapping(components.get("schemas")))
            servers = [s["url"] for s in (self.deref(s)[0] for s in self.list(doc.get("servers")))
                       if isinstance(s, dict) and isinstance(s.get("url"), str)]
        operations = self.operations(self.mapping(doc.get("paths")))
        webhooks = self.operations(self.mapping(doc.get("webhooks"))) if not self.swagger else []
        tags = [t["name"] for t in self.list(doc.get("tags")) if isinstance(t, dict) and isinstance(t.get("name"), str)]
        return Record("OpenAPI", Loc(path, version_loc.line if version_loc else 1),
                      version=new_lstr(version, version_loc) if version_loc else version,
                      title=info.get("title"), description=info.get("description"),
                      api_version=_text(info.get("version")),
                      operations=operations, webhooks=webhooks, servers=servers, security=security or [],
                      security_schemes=[self.key(schemes_defined, k) for k in schemes_defined],
                      schemas=schemas, tags=tags, path=PathValue(path, Loc(path)))

    def mapping(self, value) -> Data:
        value = self.deref(value)[0] if isinstance(value, dict) else value
        if isinstance(value, Data):
            return value
        empty = Data()
        empty.loc = Loc(self.path)
        return empty

    def list(self, value) -> list:
        return value if isinstance(value, list) else []

    def key(self, mapping: Data, key) -> LStr:
        """A key as a located string (YAML `200:` is an int key: `"200"`)."""
        loc = mapping.loc_of(key)
        return new_lstr(str(key) if not isinstance(key, bool) else ("true" if key else "false"), loc)

    def swagger_servers(self) -> list:
        host = _text(self.doc.get("host"))
        if not host:
            return []
        base = _text(self.doc.get("basePath")) or ""
        schemes = _strings(self.doc.get("schemes")) or ["https"]
        return [f"{scheme}://{host}{base}" for scheme in schemes]

    def requirements(self, value):
        """Security requirements as a list of mappings (scheme -> scopes), resolved."""
        if not isinstance(value, list):
            return None
        return self.resolve(value)

    # -- operations --------------------------------------------------------------------------
    def operations(self, paths: Data) -> list:
        out = []
        methods = METHODS_2 if self.swagger else METHODS_3
        for raw_path in paths:
            if str(raw_path).startswith("x-"):
                continue
            item, _ = self.deref(paths[raw_path])
            if not isinstance(item, dict):
                continue
            path_text = self.key(paths, raw_path)
            shared = self.list(item.get("parameters"))
            for method in item:
                if not isinstance(method, str) or method.lower() not in methods:
                    continue
                op = item[method]
                if isinstance(op, dict):
                    op, _ = self.deref(op)
                if not isinstance(op, dict):
                    continue
                loc = item.loc_of(method) if isinstance(item, Data) else paths.loc_of(raw_path)
                out.append(self.operation(method.lower(), path_text, op, shared, loc))
        return out

    def operation(self, method: str, path_text: LStr, op: Data, shared: list, loc: Loc) -> Record:
        examples: list = []
        parameters, body_params, form_params = self.parameters(shared, op.get("parameters"), examples)
        if self.swagger:
            request_body = self.swagger_body(op, body_params, form_params, examples)
        else:
            request_body = self.request_body(op.get("requestBody"), examples)
        responses = self.responses(op, examples)
        declared = "security" in op and isinstance(op.get("security"), list)
        if declared:
            security = self.resolve(op["security"])
        else:
            security = self.default_security
            declared = self.default_security is not None
        security = security if security is not None else []
        scheme_names = list(dict.fromkeys(
            self.key(req, name) for req in security if isinstance(req, Data) for name in req))
        method_text = new_lstr(method, loc)
        return Record("Operation", _at_line(loc), method=method_text, path=path_text,
                      text=new_lstr(f"{method.upper()} {path_text}", loc),
                      operation_id=_text(op.get("operationId")), summary=op.get("summary"),
                      description=op.get("description"), tags=_strings(op.get("tags")),
                      deprecated=op.get("deprecated") is True, parameters=parameters,
                      request_body=request_body, responses=responses, security=security,
                      security_declared=declared, security_schemes=scheme_names, examples=examples, line=loc.line if loc else None)

    def parameters(self, shared: list, own, examples: list):
        """(Parameter records, Swagger 2 body parameters, Swagger 2 formData parameters)."""
        chosen: dict = {}
        for raw in list(shared) + self.list(own):
            param, _ = self.deref(raw)
            if not isinstance(param, dict) or "name" not in param:
                continue
            chosen.pop((str(param.get("name")), str(param.get("in"))), None)
            chosen[(str(param.get("name")), str(param.get("in")))] = (param, raw)
        out, body, form = [], [], []
        for (name, where), (param, raw) in chosen.items():
            loc = getattr(raw, "loc", None) or getattr(param, "loc", None)
            if self.swagger and where == "body":
                body.append(param)
                continue
            if self.swagger and where == "formData":
                form.append(param)
            if self.swagger:
                schema = Data((k, self.resolve(param[k])) for k in _SWAGGER_SCHEMA_KEYS if k in param)
                schema.loc = param.loc
                schema.locs = {k: param.loc_of(k) for k in schema}
            else:
                schema = self.resolve(param.get("schema"))
                if schema is None and isinstance(param.get("content"), dict):
                    schema, _, _ = self.media_schema(param["content"])
                self.media_examples(param, "parameter", None, None, examples, parameter=param.get("name"))
            out.append(Record("Parameter", _at_line(loc), name=param.get("name"), **{"in": param.get("in")},
                              required=param.get("required") is True, description=param.get("description"),
                              deprecated=param.get("deprecated") is True, schema=schema,
                              line=loc.line if loc else None))
        return out, body, form

    def media_schema(self, content: Data):
        """(schema, schema_ref, content types) of a `content` map: JSON's, else the first's."""
        types = [self.key(content, k) for k in content if not str(k).startswith("x-")]
        if not types:
            return None, None, types
        chosen = next((t for t in types if t == "application/json"), None) or \
            next((t for t in types if str(t).endswith("+json")), types[0])
        media, _ = self.deref(content.get(chosen) if chosen in content else content[_key_like(content, chosen)])
        if not isinstance(media, dict) or "schema" not in media:
            return None, None, types
        raw = media["schema"]
        ref = raw.get("$ref") if isinstance(raw, dict) and isinstance(raw.get("$ref"), str) else None
        return self.resolve(raw), ref, types

    def media_examples(self, holder, where: str, status, content_type, examples: list, parameter=None):
        """Append the `example` / `examples` of a media type or parameter object."""
        if not isinstance(holder, Data):
            return
        if "example" in holder:
            loc = holder.loc_of("example")
            examples.append(self.example(where, None, status, content_type, None,
                                         self.resolve(holder["example"]), loc, parameter))
        named = holder.get("examples")
        if isinstance(named, Data):
            for name in named:
                entry, _ = self.deref(named[name])
                loc = named.loc_of(name)
                if isinstance(entry, dict) and ("value" in entry or "externalValue" in entry or "summary" in entry):
                    value = self.resolve(entry.get("value"))
                    summary = entry.get("summary")
                else:
                    value, summary = self.resolve(entry), None
                examples.append(self.example(where, self.key(named, name), status, content_type, summary, value,
                                             loc, parameter))

    def example(self, where, name, status, content_type, summary, value, loc, parameter=None) -> Record:
        return Record("Example", _at_line(loc), **{"in": new_lstr(where, loc)}, name=name, status=status, parameter=parameter,
                      content_type=content_type, summary=summary, value=value, line=loc.line if loc else None)

    def request_body(self, raw, examples: list):
        if raw is None:
            return None
        body, ref = self.deref(raw)
        if not isinstance(body, Data):
            return None
        loc = getattr(raw, "loc", None) or body.loc
        content = body.get("content") if isinstance(body.get("content"), Data) else Data()
        schema, schema_ref, types = self.media_schema(content) if content else (None, None, [])
        for content_type in types:
            media, _ = self.deref(content[_key_like(content, content_type)])
            self.media_examples(media, "request", None, content_type, examples)
        return Record("RequestBody", _at_line(loc), required=body.get("required") is True,
                      description=body.get("description"), content_types=types, schema=schema,
                      schema_ref=schema_ref, examples=[e for e in examples if e["in"] == "request"],
                      line=loc.line if loc else None)

    def swagger_body(self, op: Data, body_params: list, form_params: list, examples: list):
        consumes = _strings(op.get("consumes")) if "consumes" in op else _strings(self.doc.get("consumes"))
        if body_params:
            param = body_params[0]
            raw = param.get("schema")
            ref = raw.get("$ref") if isinstance(raw, dict) and isinstance(raw.get("$ref"), str) else None
            x_examples = param.get("x-examples")
            if isinstance(x_examples, Data):
                for content_type in x_examples:
                    loc = x_examples.loc_of(content_type)
                    examples.append(self.example("request", None, None, self.key(x_examples, content_type), None,
                                                 self.resolve(x_examples[content_type]), loc))
            return Record("RequestBody", _at_line(param.loc), required=param.get("required") is True,
                          description=param.get("description"), content_types=consumes or ["application/json"],
                          schema=self.resolve(raw), schema_ref=ref,
                          examples=[e for e in examples if e["in"] == "request"], line=param.loc.line)
        if form_params:
            first = form_params[0]
            properties = Data()
            properties.loc = first.loc
            required = []
            for param in form_params:
                name = str(param.get("name"))
                prop = Data((k, self.resolve(param[k])) for k in _SWAGGER_SCHEMA_KEYS if k in param)
                prop.loc = param.loc
                if isinstance(param.get("description"), str):
                    prop["description"] = param["description"]
                properties[name] = prop
                properties.locs[name] = param.loc
                if param.get("required") is True:
                    required.append(name)
            schema = Data(type="object", properties=properties)
            schema.loc = first.loc
            if required:
                schema["required"] = required
            types = consumes or ["application/x-www-form-urlencoded"]
            return Record("RequestBody", _at_line(first.loc), required=bool(required), description=None, content_types=types,
                          schema=schema, schema_ref=None, examples=[], line=first.loc.line)
        return None

    def responses(self, op: Data, examples: list) -> list:
        raw_responses = op.get("responses")
        if not isinstance(raw_responses, Data):
            return []
        produces = _strings(op.get("produces")) if "produces" in op else _strings(self.doc.get("produces"))
        out = []
        for status in raw_responses:
            if str(status).startswith("x-"):
                continue
            response, _ = self.deref(raw_responses[status])
            if not isinstance(response, dict):
                continue
            status_text = self.key(raw_responses, status)
            loc = raw_responses.loc_of(status)
            mine: list = []
            if self.swagger:
                raw = response.get("schema")
                schema_ref = raw.get("$ref") if isinstance(raw, dict) and isinstance(raw.get("$ref"), str) else None
                schema = self.resolve(raw)
                types = (produces or ["application/json"]) if raw is not None else []
                named = response.get("examples")
                if isinstance(named, Data):
                    for content_type in named:
                        mine.append(self.example("response", None, status_text, self.key(named, content_type), None,
                                                 self.resolve(named[content_type]), named.loc_of(content_type)))
            else:
                content = response.get("content") if isinstance(response.get("content"), Data) else None
                schema, schema_ref, types = self.media_schema(content) if content else (None, None, [])
                for content_type in types:
                    media, _ = self.deref(content[_key_like(content, content_type)])
                    self.media_examples(media, "response", status_text, content_type, mine)
            headers = response.get("headers")
            examples.extend(mine)
            out.append(Record("Response", _at_line(loc), status=status_text, text=status_text,
                              description=response.get("description"), content_types=types,
                              headers=[self.key(headers, h) for h in headers] if isinstance(headers, Data) else [],
                              schema=schema, schema_ref=schema_ref, examples=mine, line=loc.line if loc else None))
        return out
