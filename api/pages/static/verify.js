// Verifies an evidence bundle (GET /api/v1/{cases}/{id}/bundle) in the browser, with
// nothing but the bundle and a public key, so an inspector need not take the server's
// word for it. The same checks as `oversight verify --bundle` (ledger/bundle.py), from
// the formats in docs/ledger.md:
//
// 1. the tree head's key id (hex SHA-256 of the raw public key) and its Ed25519
//    signature over RFC 9162's TreeHeadDataV2 (with the case map root's extension);
// 2. each event's leaf hash, SHA-256(0x00 || canonical bytes), and its inclusion proof
//    (RFC 9162 §2.1.3.2) against the signed root;
// 3. the events are one case's, versions 1..n, in increasing leaf order;
// 4. the case map entry folded up its proof gives the signed map root, and names the
//    bundle's case type and its last event (version and leaf): nothing is missing.
//
// WebCrypto does the hashing and the signature (crypto.subtle: SHA-256, Ed25519). The
// bundle's own `public_key` is never used: the key is the one the inspector gives, or
// the one the service publishes (GET /api/v1/ledger/key) when none is given.
//
// Plain modern JavaScript, no build step, loaded as a file (the pages' CSP allows no
// inline script). `OversightVerify.verifyBundle(bundle, keyText)` is the check; the
// rest wires it to a page's evidence form (the elements named by data-verify-*).
"use strict";

(() => {
  const MESSAGES = {
    "zh-CN": {
      passed: "验证通过",
      failed: "验证未通过",
      notObject: "证据包不是 JSON 对象",
      notJson: "证据包不是有效的 JSON",
      noEvents: "证据包中没有事件",
      badHead: (e) => `树头格式有误：${e}`,
      wrongKey: (signer, key) => `树头由密钥 ${signer} 签名，而不是所用公钥 ${key}`,
      badSignature: (size) => `树头（大小 ${size}）的签名无效`,
      headSigned: (size, key) => `树头（大小 ${size}）由密钥 ${key} 签名`,
      malformed: (n, e) => `第 ${n} 个事件格式有误：${e}`,
      otherCase: (label, owner, id) => `${label}：属于案件 ${owner}，而不是 ${id}`,
      versionGap: (label, n) => `${label}：应为第 ${n} 版（有版本缺失或被移动）`,
      leafOrder: (label, leaf) => `${label}：叶 ${leaf} 不在上一事件之后`,
      notIncluded: (label) => `${label}：内容与证明推不出签名的根（被改动，或不在此树中）`,
      allIncluded: (n, id) => `案件 ${id} 的 ${n} 个事件均包含在树中`,
      noMap: "该树头未承诺案件映射（在案件映射之前签名）：无法证明证据包包含案件的全部历史",
      noMapEntry: "证据包没有案件映射条目：无法检查其完整性",
      badMapEntry: (e) => `案件映射条目格式有误：${e}`,
      mapRoot: "案件映射条目及其证明推不出签名的映射根（被改动，或不属于此树头）",
      mapType: (said, signed) => `证据包称案件类型为 ${said}；签名的案件映射为 ${signed}`,
      missing: (v, leaf, lastV, lastLeaf) =>
        `签名的案件映射表明此树头下案件的最后版本为 ${v}（叶 ${leaf}）；证据包止于第 ${lastV} 版（叶 ${lastLeaf}）：有事件缺失`,
      whole: (v, leaf) => `树头的案件映射表明第 ${v} 版（叶 ${leaf}）是案件的最后版本：证据包包含截至该树头的全部历史`,
      label: (v, nid, leaf) => `第 ${v} 版（通知 ${nid}，叶 ${leaf}）`,
      badKey: "公钥无法识别：请给出 32 字节原始公钥的 Base64、PEM 公钥，或 /api/v1/ledger/key 的 JSON",
      noCrypto: "此浏览器不支持 Ed25519 验证（WebCrypto）",
      keyUsed: (id) => `所用公钥：${id}`,
      fetchFailed: (what, status) => `无法取得${what}（${status}）`,
      bundleWord: "证据包",
      keyWord: "公钥",
      working: "正在验证…",
    },
    en: {
      passed: "Verified",
      failed: "Verification failed",
      notObject: "the bundle is not a JSON object",
      notJson: "the bundle is not valid JSON",
      noEvents: "the bundle has no events",
      badHead: (e) => `tree head: ${e}`,
      wrongKey: (signer, key) => `the tree head was signed by key ${signer}, not ${key}`,
      badSignature: (size) => `the tree head's signature (size ${size}) is invalid`,
      headSigned: (size, key) => `tree head of size ${size} signed by key ${key}`,
      malformed: (n, e) => `event ${n}: malformed: ${e}`,
      otherCase: (label, owner, id) => `${label}: belongs to case ${owner}, not ${id}`,
      versionGap: (label, n) => `${label}: expected version ${n} (a version is missing or moved)`,
      leafOrder: (label, leaf) => `${label}: leaf ${leaf} is not after the previous event's`,
      notIncluded: (label) =>
        `${label}: its bytes and proof do not lead to the signed root (altered, or not in this tree)`,
      allIncluded: (n, id) => `${n} events of case ${id}, each included in the tree`,
      noMap:
        "the tree head commits to no case map (signed before case maps): that the bundle holds the case's whole history is not proved",
      noMapEntry: "the bundle has no case map entry: its completeness cannot be checked",
      badMapEntry: (e) => `case map entry: malformed: ${e}`,
      mapRoot:
        "the case map entry and its proof do not lead to the signed map root (altered, or not this head's)",
      mapType: (said, signed) => `the bundle says case type ${said}; the signed case map says ${signed}`,
      missing: (v, leaf, lastV, lastLeaf) =>
        `the signed case map says the case's last version under this head is ${v} (leaf ${leaf}); the bundle ends at version ${lastV} (leaf ${lastLeaf}): events are missing`,
      whole: (v, leaf) =>
        `the head's case map says version ${v} (leaf ${leaf}) is the case's last: the bundle holds its whole history as of the head`,
      label: (v, nid, leaf) => `version ${v} (notification ${nid}, leaf ${leaf})`,
      badKey:
        "the public key is not recognised: give the 32 raw bytes in base64, a PEM public key, or the JSON of /api/v1/ledger/key",
      noCrypto: "this browser cannot verify Ed25519 signatures (WebCrypto)",
      keyUsed: (id) => `public key used: ${id}`,
      fetchFailed: (what, status) => `could not fetch the ${what} (${status})`,
      bundleWord: "bundle",
      keyWord: "public key",
      working: "Verifying…",
    },
  };

  function messages() {
    const lang = (document.documentElement.lang || "zh-CN").toLowerCase();
    return lang.startsWith("en") ? MESSAGES.en : MESSAGES["zh-CN"];
  }

  class Malformed extends Error {}

  // --- bytes --------------------------------------------------------------------------

  const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

  function unb64(text, field) {
    if (typeof text !== "string") throw new Malformed(`${field}: expected base64 text`);
    if (!BASE64.test(text)) throw new Malformed(`${field}: not base64`);
    const raw = atob(text);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  function u8(n) {
    return Uint8Array.of(n);
  }

  function u16(n) {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, n);
    return b;
  }

  function u32(n) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n);
    return b;
  }

  function u64(n) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n));
    return b;
  }

  function i64(n) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt(n));
    return b;
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function equal(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }

  const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

  function uuidBytes(text) {
    if (typeof text !== "string" || !UUID.test(text)) throw new Malformed("originator_id: not a UUID");
    const digits = text.replace(/-/g, "").toLowerCase();
    const out = new Uint8Array(16);
    for (let i = 0; i < 16; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
    return out;
  }

  function uuidText(bytes) {
    const h = hex(bytes);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const utf8 = new TextEncoder();

  function isCount(n) {
    return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
  }

  async function sha256(...parts) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", concat(...parts)));
  }

  // --- RFC 9162 -----------------------------------------------------------------------

  const HASH = 32;

  // SHA-256(0x00 || originator id (16) || version (int64) || uint32 len || topic ||
  // uint32 len || state): docs/ledger.md "Canonical bytes of a stored event".
  async function eventLeafHash(id, version, topic, state) {
    const t = utf8.encode(topic);
    return sha256(u8(0), id, i64(version), u32(t.length), t, u32(state.length), state);
  }

  function nodeHash(left, right) {
    return sha256(u8(1), left, right);
  }

  // RFC 9162 §2.1.3.2 (ledger/merkle.py verify_inclusion), on BigInt so that trees of
  // more than 2^31 leaves need no 32-bit bit operations.
  async function verifyInclusion(leaf, index, size, proof, root) {
    if (!(index >= 0 && index < size) || leaf.length !== HASH || root.length !== HASH) return false;
    let fn = BigInt(index);
    let sn = BigInt(size) - 1n;
    let r = leaf;
    for (const p of proof) {
      if (sn === 0n || p.length !== HASH) return false;
      if (fn & 1n || fn === sn) {
        r = await nodeHash(p, r);
        while (!(fn & 1n) && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    return sn === 0n && equal(r, root);
  }

  // TreeHeadDataV2: uint64 timestamp || uint64 size || uint8 32 || root || extensions
  // (none: uint16 0; the case map: uint16 36 || uint16 0xF000 || uint16 32 || map root).
  function treeHeadData(head) {
    const start = concat(u64(head.timestamp), u64(head.size), u8(HASH), head.root);
    if (head.mapRoot === null) return concat(start, u16(0));
    return concat(start, u16(4 + HASH), u16(0xf000), u16(HASH), head.mapRoot);
  }

  function parseHead(data) {
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      throw new Malformed("tree_head: expected an object");
    }
    if (!isCount(data.size)) throw new Malformed("tree_head.size: expected a non-negative integer");
    if (!isCount(data.timestamp)) {
      throw new Malformed("tree_head.timestamp: expected milliseconds since the epoch");
    }
    if (typeof data.key_id !== "string") throw new Malformed("tree_head.key_id: expected text");
    const root = unb64(data.root, "tree_head.root");
    if (root.length !== HASH) throw new Malformed("tree_head.root: expected 32 bytes");
    let mapRoot = null;
    if (data.map_root !== undefined && data.map_root !== null) {
      mapRoot = unb64(data.map_root, "tree_head.map_root");
      if (mapRoot.length !== HASH) throw new Malformed("tree_head.map_root: expected 32 bytes");
    }
    const signature = unb64(data.signature, "tree_head.signature");
    return { size: data.size, timestamp: data.timestamp, keyId: data.key_id, root, mapRoot, signature };
  }

  // --- the case map (ledger/casemap.py) -------------------------------------------------

  function mapValue(caseType, lastVersion, leafIndex) {
    const name = utf8.encode(caseType);
    if (name.length > 255) throw new Malformed("a case type is at most 255 bytes");
    return concat(u8(name.length), name, u64(lastVersion), u64(leafIndex));
  }

  function bit(key, depth) {
    return (key[depth >> 3] >> (7 - (depth & 7))) & 1;
  }

  async function mapRootFromProof(key, value, proof) {
    let h = await sha256(u8(0), key, await sha256(value));
    for (let depth = proof.length - 1; depth >= 0; depth--) {
      const sibling = proof[depth];
      if (sibling.length !== HASH) throw new Malformed("a sibling hash is 32 bytes");
      h = bit(key, depth) ? await nodeHash(sibling, h) : await nodeHash(h, sibling);
    }
    return h;
  }

  // --- the key --------------------------------------------------------------------------

  // DER prefix of an Ed25519 SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { OID 1.3.101.112 },
  // BIT STRING (32 bytes) }.
  const SPKI_PREFIX = Uint8Array.from([
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
  ]);

  // The raw 32 bytes of a public key given as base64 of the raw bytes, 64 hex digits, a
  // PEM (or base64 DER) SubjectPublicKeyInfo, or the JSON of GET /api/v1/ledger/key.
  function parseKey(text) {
    let value = String(text || "").trim();
    if (value.startsWith("{")) {
      try {
        value = String(JSON.parse(value).public_key || "").trim();
      } catch {
        return null;
      }
    }
    const pem = value.match(/-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/);
    if (pem) value = pem[1].replace(/\s+/g, "");
    if (/^[0-9a-fA-F]{64}$/.test(value)) {
      return Uint8Array.from(value.match(/../g), (h) => parseInt(h, 16));
    }
    let bytes;
    try {
      bytes = unb64(value, "key");
    } catch {
      return null;
    }
    if (bytes.length === HASH) return bytes;
    if (bytes.length === SPKI_PREFIX.length + HASH && equal(bytes.subarray(0, SPKI_PREFIX.length), SPKI_PREFIX)) {
      return bytes.slice(SPKI_PREFIX.length);
    }
    return null;
  }

  async function verifySignature(raw, signature, data) {
    const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, signature, data);
  }

  // --- the bundle -----------------------------------------------------------------------

  function parseEvent(event, m) {
    if (event === null || typeof event !== "object") throw new Malformed("expected an object");
    const id = uuidBytes(event.originator_id);
    const version = event.originator_version;
    const index = event.leaf_index;
    if (!Number.isSafeInteger(version) || !isCount(index)) {
      throw new Malformed("originator_version and leaf_index must be integers");
    }
    const label = m.label(version, event.notification_id, index);
    const state = unb64(event.state, "state");
    if (typeof event.topic !== "string") throw new Malformed("topic must be text");
    if (!Array.isArray(event.inclusion_proof)) throw new Malformed("inclusion_proof: expected a list");
    const proof = event.inclusion_proof.map((p) => unb64(p, `${label}.inclusion_proof`));
    return { label, id, version, index, state, topic: event.topic, proof };
  }

  // {ok, facts, problems, keyId}: the bundle holds when `problems` is empty. `bundle`
  // is the parsed JSON (or its text); `keyText` the key as `parseKey` reads it.
  async function verifyBundle(bundle, keyText) {
    const m = messages();
    const facts = [];
    const problems = [];
    const done = (keyId) => ({ ok: problems.length === 0, facts, problems, keyId });
    if (!(globalThis.crypto && crypto.subtle)) {
      problems.push(m.noCrypto);
      return done(null);
    }
    const raw = parseKey(keyText);
    if (raw === null) {
      problems.push(m.badKey);
      return done(null);
    }
    const keyId = hex(await sha256(raw));
    if (typeof bundle === "string") {
      try {
        bundle = JSON.parse(bundle);
      } catch {
        problems.push(m.notJson);
        return done(keyId);
      }
    }
    if (bundle === null || typeof bundle !== "object" || Array.isArray(bundle)) {
      problems.push(m.notObject);
      return done(keyId);
    }
    let head;
    try {
      head = parseHead(bundle.tree_head);
    } catch (e) {
      if (!(e instanceof Malformed)) throw e;
      problems.push(m.badHead(e.message));
      return done(keyId);
    }
    if (head.keyId !== keyId) {
      problems.push(m.wrongKey(head.keyId, keyId));
    } else {
      let valid = false;
      try {
        valid = await verifySignature(raw, head.signature, treeHeadData(head));
      } catch (e) {
        if (e && e.name === "NotSupportedError") {
          problems.push(m.noCrypto);
          return done(keyId);
        }
        valid = false; // a key or signature WebCrypto cannot read is not a valid one
      }
      if (valid) facts.push(m.headSigned(head.size, keyId));
      else problems.push(m.badSignature(head.size));
    }
    const caseId = bundle.case_id;
    const events = bundle.events;
    if (!Array.isArray(events) || events.length === 0) {
      problems.push(m.noEvents);
      return done(keyId);
    }
    let previousLeaf = -1;
    for (let n = 1; n <= events.length; n++) {
      let e;
      try {
        e = parseEvent(events[n - 1], m);
      } catch (err) {
        if (!(err instanceof Malformed)) throw err;
        problems.push(m.malformed(n, err.message));
        continue;
      }
      const owner = uuidText(e.id);
      // As ledger/bundle.py compares: the canonical text of the event's id with the
      // bundle's case_id exactly as written.
      if (owner !== caseId) problems.push(m.otherCase(e.label, owner, caseId));
      if (e.version !== n) problems.push(m.versionGap(e.label, n));
      if (e.index <= previousLeaf) problems.push(m.leafOrder(e.label, e.index));
      previousLeaf = e.index;
      const leaf = await eventLeafHash(e.id, e.version, e.topic, e.state);
      if (!(await verifyInclusion(leaf, e.index, head.size, e.proof, head.root))) {
        problems.push(m.notIncluded(e.label));
      }
    }
    if (problems.length === 0) facts.push(m.allIncluded(events.length, caseId));
    await checkCaseMap(bundle, head, events, facts, problems, m);
    return done(keyId);
  }

  async function checkCaseMap(bundle, head, events, facts, problems, m) {
    if (head.mapRoot === null) {
      facts.push(m.noMap);
      return;
    }
    const entry = bundle.case_map;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      problems.push(m.noMapEntry);
      return;
    }
    let root;
    const { case_type: caseType, last_version: version, leaf_index: leaf } = entry;
    try {
      const id = uuidBytes(String(bundle.case_id));
      if (typeof caseType !== "string") throw new Malformed("case_map.case_type must be text");
      if (!isCount(version) || !isCount(leaf)) {
        throw new Malformed("case_map.last_version and leaf_index must be integers");
      }
      if (!Array.isArray(entry.proof)) throw new Malformed("case_map.proof: expected a list");
      const proof = entry.proof.map((p) => unb64(p, "case_map.proof"));
      root = await mapRootFromProof(await sha256(id), mapValue(caseType, version, leaf), proof);
    } catch (e) {
      if (!(e instanceof Malformed)) throw e;
      problems.push(m.badMapEntry(e.message));
      return;
    }
    if (!equal(root, head.mapRoot)) {
      problems.push(m.mapRoot);
      return;
    }
    if (caseType !== bundle.case_type) problems.push(m.mapType(bundle.case_type, caseType));
    const last = events[events.length - 1] || {};
    if (last.originator_version !== version || last.leaf_index !== leaf) {
      problems.push(m.missing(version, leaf, last.originator_version, last.leaf_index));
      return;
    }
    facts.push(m.whole(version, leaf));
  }

  // --- the page -------------------------------------------------------------------------

  async function fetchText(url, what, m) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(m.fetchFailed(what, response.status));
    return response.text();
  }

  function show(out, result, m) {
    out.replaceChildren();
    const heading = document.createElement("p");
    heading.className = result.ok ? "verify-passed" : "verify-failed";
    heading.setAttribute("data-verify-outcome", result.ok ? "passed" : "failed");
    const strong = document.createElement("strong");
    strong.textContent = result.ok ? m.passed : m.failed;
    heading.append(strong);
    out.append(heading);
    if (result.keyId) {
      const key = document.createElement("p");
      key.className = "verify-key";
      key.textContent = m.keyUsed(result.keyId);
      out.append(key);
    }
    for (const [items, kind] of [
      [result.problems, "verify-problems"],
      [result.facts, "verify-facts"],
    ]) {
      if (!items.length) continue;
      const list = document.createElement("ul");
      list.className = kind;
      for (const text of items) {
        const li = document.createElement("li");
        li.textContent = text;
        list.append(li);
      }
      out.append(list);
    }
  }

  // The form: <form data-verify-form data-bundle-url=… data-key-url=…> with a file input
  // [data-verify-file] (optional: else the bundle is fetched), a key field
  // [data-verify-key] (optional: else the published key is fetched), and an output
  // element [data-verify-result] (a live region).
  function wire(form) {
    const out = document.querySelector(form.getAttribute("data-verify-result-for") || "[data-verify-result]");
    const fileInput = form.querySelector("[data-verify-file]");
    const keyInput = form.querySelector("[data-verify-key]");
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const m = messages();
      out.textContent = m.working;
      try {
        const file = fileInput && fileInput.files && fileInput.files[0];
        const bundleText = file ? await file.text() : await fetchText(form.dataset.bundleUrl, m.bundleWord, m);
        let keyText = keyInput ? keyInput.value.trim() : "";
        if (!keyText) keyText = await fetchText(form.dataset.keyUrl, m.keyWord, m);
        show(out, await verifyBundle(bundleText, keyText), m);
      } catch (e) {
        show(out, { ok: false, facts: [], problems: [String(e && e.message ? e.message : e)], keyId: null }, m);
      }
    });
  }

  globalThis.OversightVerify = { verifyBundle, parseKey, verifyInclusion, eventLeafHash };

  const start = () => document.querySelectorAll("form[data-verify-form]").forEach(wire);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
