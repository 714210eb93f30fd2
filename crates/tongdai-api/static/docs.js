// Tổng đài 1022 — the API documentation viewer. Fetches /api/v1/openapi.json from our own
// origin and renders it: tags, operations (method, path, summary, description, security),
// parameters, request bodies and responses with their schemas, then every schema. No
// library, no network access beyond this origin, no inline script or style (the page's
// Content-Security-Policy allows neither). Every node is built with textContent: nothing
// from the document is parsed as HTML.
"use strict";

(function () {
  const SOURCE = "/api/v1/openapi.json";
  const METHODS = ["get", "put", "post", "delete", "patch", "options", "head", "trace"];
  const LOCATIONS = { path: "đường dẫn", query: "truy vấn", header: "tiêu đề", cookie: "cookie" };

  // --- DOM helpers ------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  // Markdown, the little of it the document uses: `code`, **strong**, [text](url) to
  // http(s) or same-origin addresses; paragraphs separated by blank lines.
  function inline(text) {
    const fragment = document.createDocumentFragment();
    const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
    let last = 0;
    let match;
    while ((match = pattern.exec(text)) !== null) {
      fragment.append(text.slice(last, match.index));
      if (match[1] !== undefined) fragment.append(el("code", {}, match[1]));
      else if (match[2] !== undefined) fragment.append(el("strong", {}, match[2]));
      else if (/^(https?:\/\/|\/)/.test(match[4])) fragment.append(el("a", { href: match[4] }, match[3]));
      else fragment.append(match[0]);
      last = pattern.lastIndex;
    }
    fragment.append(text.slice(last));
    return fragment;
  }

  function prose(text, className) {
    const box = el("div", { class: className || "prose" });
    if (!text) return box;
    for (const paragraph of String(text).split(/\n\s*\n/)) {
      const line = paragraph.replace(/\s*\n\s*/g, " ").trim();
      if (line) box.append(el("p", {}, inline(line)));
    }
    return box;
  }

  function slug(text) {
    return String(text).replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
  }

  // --- Schemas ----------------------------------------------------------------------

  function refName(ref) {
    return decodeURIComponent(String(ref).split("/").pop().replace(/~1/g, "/").replace(/~0/g, "~"));
  }

  function refLink(ref) {
    const name = refName(ref);
    return el("a", { class: "ref", href: "#schema-" + slug(name) }, name);
  }

  // One line that names a schema's type: `string (date)`, `TicketCreated | null`, `array of
  // Attachment`, `object`.
  function typeLine(schema) {
    const line = el("span", { class: "type" });
    if (!schema || typeof schema !== "object") {
      line.append("bất kỳ");
      return line;
    }
    if (schema.$ref) {
      line.append(refLink(schema.$ref));
      return line;
    }
    const variants = schema.oneOf || schema.anyOf;
    if (Array.isArray(variants)) {
      variants.forEach((variant, i) => {
        if (i > 0) line.append(" | ");
        line.append(typeLine(variant));
      });
      return line;
    }
    const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
    if (types.length === 0 && schema.const !== undefined) types.push(typeof schema.const);
    types.forEach((type, i) => {
      if (i > 0) line.append(" | ");
      if (type === "array") {
        line.append("array of ");
        line.append(typeLine(schema.items));
      } else {
        line.append(type);
      }
    });
    if (types.length === 0) line.append(schema.properties ? "object" : "bất kỳ");
    if (schema.format) line.append(" (" + schema.format + ")");
    return line;
  }

  function constraints(schema) {
    const facts = [];
    if (!schema || typeof schema !== "object") return facts;
    const show = (value) => JSON.stringify(value);
    if (schema.const !== undefined) facts.push(["chỉ nhận", show(schema.const)]);
    if (Array.isArray(schema.enum)) facts.push(["một trong", schema.enum.map(show).join(", ")]);
    if (schema.minLength !== undefined) facts.push(["ít nhất", schema.minLength + " ký tự"]);
    if (schema.maxLength !== undefined) facts.push(["nhiều nhất", schema.maxLength + " ký tự"]);
    if (schema.pattern !== undefined) facts.push(["mẫu", schema.pattern]);
    if (schema.minimum !== undefined) facts.push(["nhỏ nhất", String(schema.minimum)]);
    if (schema.maximum !== undefined) facts.push(["lớn nhất", String(schema.maximum)]);
    if (schema.minItems !== undefined) facts.push(["ít nhất", schema.minItems + " phần tử"]);
    if (schema.maxItems !== undefined) facts.push(["nhiều nhất", schema.maxItems + " phần tử"]);
    if (schema.additionalProperties === false) facts.push(["trường khác", "bị từ chối"]);
    if (schema.example !== undefined) facts.push(["ví dụ", show(schema.example)]);
    return facts;
  }

  function factList(schema) {
    const facts = constraints(schema);
    if (facts.length === 0) return null;
    return el(
      "ul",
      { class: "facts" },
      facts.map(([label, value]) => el("li", {}, label + ": ", el("code", {}, value))),
    );
  }

  // The properties of an object schema, nested objects inline (a few levels deep), named
  // schemas as links to their own entry.
  function propertiesView(schema, depth) {
    const properties = (schema && schema.properties) || {};
    const names = Object.keys(properties);
    if (names.length === 0) return null;
    const required = new Set(schema.required || []);
    const list = el("dl", { class: "props" });
    for (const name of names) {
      const property = properties[name] || {};
      list.append(
        el(
          "dt",
          {},
          el("code", { class: "prop-name" }, name),
          " ",
          typeLine(property),
          required.has(name) ? el("span", { class: "badge required" }, "bắt buộc") : null,
        ),
      );
      const detail = el("dd", {});
      const description =
        property.description ||
        ((property.oneOf || property.anyOf || []).find((v) => v && v.description) || {}).description;
      if (description) detail.append(prose(description));
      const facts = factList(property);
      if (facts) detail.append(facts);
      const nested = property.type === "array" ? property.items : property;
      if (nested && !nested.$ref && depth < 3) {
        const inner = propertiesView(nested, depth + 1);
        if (inner) detail.append(inner);
      }
      list.append(detail);
    }
    return list;
  }

  function schemaView(schema) {
    const box = el("div", { class: "schema" });
    box.append(el("p", { class: "schema-type" }, "Kiểu: ", typeLine(schema)));
    if (schema && !schema.$ref) {
      const facts = factList(schema);
      if (facts) box.append(facts);
      const target = schema.type === "array" ? schema.items : schema;
      const properties = target && !target.$ref ? propertiesView(target, 0) : null;
      if (properties) box.append(properties);
      const extra = schema.additionalProperties;
      if (extra && typeof extra === "object") {
        box.append(el("p", { class: "schema-type" }, "Giá trị của mỗi khóa: ", typeLine(extra)));
      }
    }
    return box;
  }

  function contentView(content) {
    const box = el("div", { class: "content" });
    for (const [mediaType, media] of Object.entries(content || {})) {
      box.append(el("p", { class: "media-type" }, "Định dạng: ", el("code", {}, mediaType)));
      if (media && media.schema) box.append(schemaView(media.schema));
    }
    return box;
  }

  // --- Operations -------------------------------------------------------------------

  function securityView(operation, doc) {
    const requirements = operation.security || doc.security || [];
    if (requirements.length === 0) return el("p", { class: "security" }, "Xác thực: không cần.");
    const optional = requirements.some((r) => Object.keys(r).length === 0);
    const schemes = requirements.flatMap((r) => Object.keys(r));
    const line = el("p", { class: "security" }, "Xác thực: ");
    schemes.forEach((name, i) => {
      if (i > 0) line.append(" hoặc ");
      line.append(el("a", { href: "#auth-" + slug(name) }, name));
    });
    line.append(optional ? " (không bắt buộc)." : " (bắt buộc).");
    return line;
  }

  function parametersView(parameters) {
    if (!parameters || parameters.length === 0) return null;
    // `data-label` names each cell where a narrow screen shows the rows as cards.
    const rows = parameters.map((p) =>
      el(
        "tr",
        {},
        el("th", { scope: "row" }, el("code", {}, p.name)),
        el("td", { "data-label": "Vị trí" }, LOCATIONS[p.in] || p.in),
        el("td", { "data-label": "Bắt buộc" }, p.required ? "bắt buộc" : "tùy chọn"),
        el("td", { "data-label": "Kiểu" }, typeLine(p.schema), factList(p.schema)),
        el("td", { "data-label": "Mô tả" }, prose(p.description)),
      ),
    );
    return el(
      "section",
      { class: "block" },
      el("h4", {}, "Tham số"),
      el(
        "div",
        { class: "table-scroll" },
        el(
          "table",
          {},
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              ["Tên", "Vị trí", "Bắt buộc", "Kiểu", "Mô tả"].map((h) => el("th", { scope: "col" }, h)),
            ),
          ),
          el("tbody", {}, rows),
        ),
      ),
    );
  }

  function responsesView(responses) {
    const section = el("section", { class: "block" }, el("h4", {}, "Phản hồi"));
    const codes = Object.keys(responses || {}).sort();
    for (const code of codes) {
      const response = responses[code] || {};
      const kind = code.startsWith("2") ? "ok" : code.startsWith("4") ? "client" : "server";
      const item = el(
        "div",
        { class: "response" },
        el("p", { class: "response-head" }, el("span", { class: "status status-" + kind }, code), " ",
          inline(response.description || "")),
      );
      const headers = Object.entries(response.headers || {});
      if (headers.length > 0) {
        item.append(
          el(
            "ul",
            { class: "headers" },
            headers.map(([name, header]) =>
              el("li", {}, "Tiêu đề ", el("code", {}, name), ": ", inline((header && header.description) || "")),
            ),
          ),
        );
      }
      if (response.content) item.append(contentView(response.content));
      const links = Object.entries(response.links || {});
      if (links.length > 0) {
        item.append(
          el(
            "ul",
            { class: "headers" },
            links.map(([name, link]) =>
              el(
                "li",
                {},
                "Tiếp theo: ",
                el("a", { href: "#op-" + slug(link.operationId || name) }, link.operationId || name),
                link.description ? " — " : "",
                inline(link.description || ""),
              ),
            ),
          ),
        );
      }
      section.append(item);
    }
    return section;
  }

  function operationView(path, method, operation, doc) {
    const id = "op-" + slug(operation.operationId || method + path);
    const article = el(
      "article",
      { class: "operation", id: id },
      el(
        "h3",
        {},
        el("span", { class: "method method-" + method }, method.toUpperCase()),
        " ",
        el("code", { class: "path" }, path),
      ),
    );
    if (operation.summary) article.append(el("p", { class: "summary" }, inline(operation.summary)));
    if (operation.description) article.append(prose(operation.description));
    article.append(securityView(operation, doc));
    const parameters = parametersView(operation.parameters);
    if (parameters) article.append(parameters);
    if (operation.requestBody) {
      const body = el("section", { class: "block" }, el("h4", {}, "Nội dung gửi lên"));
      if (operation.requestBody.description) body.append(prose(operation.requestBody.description));
      body.append(contentView(operation.requestBody.content));
      article.append(body);
    }
    article.append(responsesView(operation.responses));
    return article;
  }

  // --- The page ---------------------------------------------------------------------

  function operationsByTag(doc) {
    const groups = new Map();
    for (const tag of doc.tags || []) groups.set(tag.name, { tag: tag, operations: [] });
    for (const [path, item] of Object.entries(doc.paths || {})) {
      for (const method of METHODS) {
        const operation = item && item[method];
        if (!operation) continue;
        const name = (operation.tags && operation.tags[0]) || "khác";
        if (!groups.has(name)) groups.set(name, { tag: { name: name }, operations: [] });
        groups.get(name).operations.push({ path: path, method: method, operation: operation });
      }
    }
    return [...groups.values()].filter((g) => g.operations.length > 0);
  }

  function render(doc) {
    const info = doc.info || {};
    const title = info.title || "Tài liệu API";
    document.title = title + " — tài liệu API";
    document.getElementById("doc-title").textContent = title;

    const main = document.getElementById("doc");
    const toc = document.getElementById("toc");
    const tocList = el("ul", {});
    toc.append(el("h2", { class: "toc-title" }, "Mục lục"), tocList);

    const about = el("section", { class: "about", "aria-labelledby": "gioi-thieu" },
      el("h2", { id: "gioi-thieu" }, "Giới thiệu"));
    about.append(prose(info.description));
    const meta = el("ul", { class: "facts" });
    if (info.version) meta.append(el("li", {}, "Phiên bản: ", el("code", {}, info.version)));
    if (doc.openapi) meta.append(el("li", {}, "OpenAPI: ", el("code", {}, doc.openapi)));
    if (info.license && info.license.name) meta.append(el("li", {}, "Giấy phép: ", info.license.name));
    about.append(meta);
    main.append(about);
    tocList.append(el("li", {}, el("a", { href: "#gioi-thieu" }, "Giới thiệu")));

    const schemes = Object.entries((doc.components && doc.components.securitySchemes) || {});
    if (schemes.length > 0) {
      const auth = el("section", { class: "about", "aria-labelledby": "xac-thuc" },
        el("h2", { id: "xac-thuc" }, "Xác thực"));
      for (const [name, scheme] of schemes) {
        auth.append(
          el("h3", { id: "auth-" + slug(name) }, el("code", {}, name), " — ",
            [scheme.type, scheme.scheme, scheme.bearerFormat].filter(Boolean).join(" ")),
          prose(scheme.description),
        );
      }
      main.append(auth);
      tocList.append(el("li", {}, el("a", { href: "#xac-thuc" }, "Xác thực")));
    }

    for (const group of operationsByTag(doc)) {
      const id = "tag-" + slug(group.tag.name);
      const section = el("section", { class: "tag", "aria-labelledby": id }, el("h2", { id: id }, group.tag.name));
      if (group.tag.description) section.append(prose(group.tag.description, "prose tag-description"));
      const entries = el("ul", {});
      for (const { path, method, operation } of group.operations) {
        const view = operationView(path, method, operation, doc);
        section.append(view);
        entries.append(
          el("li", {}, el("a", { class: "toc-operation", href: "#" + view.id },
            el("span", { class: "method method-" + method }, method.toUpperCase()),
            el("span", { class: "toc-path" }, path))),
        );
      }
      main.append(section);
      tocList.append(el("li", {}, el("a", { href: "#" + id }, group.tag.name), entries));
    }

    const schemas = Object.entries((doc.components && doc.components.schemas) || {});
    if (schemas.length > 0) {
      const section = el("section", { class: "tag", "aria-labelledby": "luoc-do" },
        el("h2", { id: "luoc-do" }, "Lược đồ dữ liệu"));
      const entries = el("ul", {});
      for (const [name, schema] of schemas.sort(([a], [b]) => a.localeCompare(b))) {
        const id = "schema-" + slug(name);
        section.append(
          el("article", { class: "operation schema-entry", id: id },
            el("h3", {}, el("code", {}, name)),
            prose(schema && schema.description),
            schemaView(schema)),
        );
        entries.append(el("li", {}, el("a", { href: "#" + id }, name)));
      }
      main.append(section);
      tocList.append(el("li", {}, el("a", { href: "#luoc-do" }, "Lược đồ dữ liệu"), entries));
    }
    document.body.classList.add("loaded");
    // Opened with #op-…: go there now that it exists.
    if (location.hash) {
      const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (target) target.scrollIntoView();
    }
  }

  function failed(reason) {
    const status = document.getElementById("status");
    status.hidden = false;
    status.setAttribute("role", "alert");
    status.className = "notice error";
    status.textContent = "";
    status.append(
      "Không tải được tài liệu API (" + reason + "). Xem trực tiếp tài liệu gốc: ",
      el("a", { href: SOURCE }, SOURCE),
      ".",
    );
  }

  async function start() {
    const status = document.getElementById("status");
    status.hidden = false;
    status.textContent = "Đang tải tài liệu…";
    let doc;
    try {
      const response = await fetch(SOURCE, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error("HTTP " + response.status);
      doc = await response.json();
    } catch (e) {
      failed(e && e.message ? e.message : String(e));
      return;
    }
    try {
      render(doc);
      status.hidden = true;
      status.textContent = "";
    } catch (e) {
      failed("không đọc được: " + (e && e.message ? e.message : String(e)));
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
