// The sandbox page: shows the workspace as the chosen person sees it, and sends what they do to the sandbox,
// which passes it to Warroom as Slack would. Everything shown is HTML the server rendered from what Warroom sent.
"use strict";

(function () {
  const $ = (selector) => document.querySelector(selector);
  const state = { me: "", channel: "", thread: "", version: -1, modalKey: "", poll: 0 };

  function remembered(key, fallback) {
    try { return localStorage.getItem(key) || fallback; } catch (_e) { return fallback; }
  }
  function remember(key, value) {
    try { localStorage.setItem(key, value); } catch (_e) { /* private mode: nothing to keep */ }
  }

  async function send(kind, fields) {
    const response = await fetch("/sandbox/do", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ as: state.me, kind: kind, channel: state.channel, ...fields }),
    });
    const answer = await response.json().catch(() => ({ ok: false, error: "The sandbox did not answer." }));
    if (!answer.ok) note(answer.error || "That did not work.");
    refresh();
    return answer;
  }

  function note(text) {
    $("#composer-note").textContent = text;
  }

  // -- drawing -----------------------------------------------------------------------------------------

  function draw(view) {
    state.version = view.version;
    if (view.channel && view.channel !== state.channel) {
      state.channel = view.channel;
      remember("channel:" + state.me, state.channel);
    }
    $("#sidebar").innerHTML = view.sidebar;
    markUnread();
    const conversation = $("#conversation");
    const atBottom = conversation.scrollHeight - conversation.scrollTop - conversation.clientHeight < 40;
    conversation.innerHTML = view.conversation;
    if (atBottom) conversation.scrollTop = conversation.scrollHeight;
    const thread = $("#thread");
    const opened = thread.hidden && Boolean(view.thread);
    const threadAtBottom = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 40;
    thread.hidden = !view.thread;
    thread.innerHTML = view.thread || "";
    if (opened || threadAtBottom) thread.scrollTop = thread.scrollHeight; // the newest reply in view, as in Slack
    if (!view.thread) state.thread = "";
    const head = conversation.querySelector(".conv-head");
    const canPost = !head || head.dataset.canPost === "yes";
    $("#compose").disabled = !canPost;
    document.querySelector(".send").disabled = !canPost;
    $("#compose").placeholder = canPost
      ? "Message " + (head ? head.dataset.name : "") + " — try /incident help"
      : "You can read this channel, not post in it";
    if (view.clock) $("#clock").textContent = view.clock;
    drawModal(view.modal);
    markGuide(view.progress || {});
  }

  function drawModal(modal) {
    const layer = $("#modal-layer");
    if (!modal) {
      layer.hidden = true;
      layer.firstElementChild.innerHTML = "";
      state.modalKey = "";
      return;
    }
    if (modal.key === state.modalKey) return; // keep what the person is typing
    state.modalKey = modal.key;
    const box = layer.firstElementChild;
    const typed = collect(box.querySelector("form"));
    box.innerHTML = modal.html;
    restore(box.querySelector("form"), typed);
    const problem = modal.problem ? '<p class="bk-error" role="alert">' + escapeHtml(modal.problem) + "</p>" : "";
    if (problem) box.querySelector("form").insertAdjacentHTML("afterbegin", problem);
    layer.hidden = false;
    const invalid = box.querySelector("[aria-invalid=true]");
    const first = invalid || box.querySelector("input, textarea, select");
    if (first) first.focus();
  }

  // The sidebar's badges count what this person has not seen yet in each conversation.
  function markUnread() {
    document.querySelectorAll("#sidebar [data-channel-link]").forEach((link) => {
      const badge = link.querySelector(".count");
      const count = Number(badge ? badge.dataset.count : 0);
      const key = "seen:" + state.me + ":" + link.dataset.channelLink;
      if (link.dataset.channelLink === state.channel) remember(key, String(count));
      const unread = count - Number(remembered(key, "0"));
      if (badge) badge.textContent = unread > 0 ? String(unread) : "";
      link.classList.toggle("unread", unread > 0);
    });
  }

  function markGuide(progress) {
    const steps = document.querySelectorAll("#guide li[data-step]");
    steps.forEach((item) => item.classList.toggle("done", Boolean(progress[item.dataset.step])));
    const finished = Array.from(steps).every((item) => item.classList.contains("done"));
    $("#guide-finished").hidden = !finished;
  }

  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  async function refresh() {
    state.version = -1;
    schedule(0);
  }

  function schedule(delay) {
    const ticket = ++state.poll;
    setTimeout(() => poll(ticket), delay);
  }

  async function poll(ticket) {
    if (ticket !== state.poll) return;
    const query = new URLSearchParams({ as: state.me, c: state.channel, thread: state.thread, since: state.version });
    try {
      const response = await fetch("/sandbox/state?" + query.toString());
      if (ticket !== state.poll) return;
      if (response.ok) draw(await response.json());
      schedule(0);
    } catch (_e) {
      if (ticket === state.poll) schedule(1000); // the sandbox stopped or restarts: try again
    }
  }

  // -- modals ------------------------------------------------------------------------------------------

  function collect(form) {
    if (!form) return [];
    const fields = [];
    form.querySelectorAll("[name][data-type]").forEach((field) => {
      const entry = { name: field.name, type: field.dataset.type };
      if (field.type === "checkbox" || field.type === "radio") {
        if (!field.checked) return;
        entry.value = field.value;
        entry.label = field.dataset.label || (field.labels[0] ? field.labels[0].textContent : field.value);
      } else if (field.multiple) {
        entry.values = Array.from(field.selectedOptions).map((o) => o.value);
      } else {
        entry.value = field.value;
        if (field.tagName === "SELECT" && field.selectedOptions[0]) entry.label = field.selectedOptions[0].textContent;
      }
      fields.push(entry);
    });
    return fields;
  }

  function restore(form, fields) {
    if (!form) return;
    fields.forEach((entry) => {
      const field = form.querySelector('[name="' + CSS.escape(entry.name) + '"]');
      if (field && field.type !== "checkbox" && field.type !== "radio" && !field.multiple) field.value = entry.value;
    });
  }

  // -- confirm dialogs ---------------------------------------------------------------------------------

  function confirmed(spec) {
    return new Promise((resolve) => {
      const dialog = $("#confirm");
      dialog.querySelector(".confirm-title").textContent = spec.title || "Are you sure?";
      const text = dialog.querySelector(".confirm-text");
      if (spec.html) text.innerHTML = spec.html; else text.textContent = spec.text || "";
      const ok = dialog.querySelector(".confirm-ok");
      ok.textContent = spec.confirm || "Yes";
      ok.className = "bk-button confirm-ok " + (spec.style === "danger" ? "bk-danger" : "bk-primary");
      dialog.querySelector(".confirm-deny").textContent = spec.deny || "Cancel";
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
      dialog.showModal();
    });
  }

  // -- what people do ----------------------------------------------------------------------------------

  async function act(element, value, label) {
    const message = element.closest(".msg");
    const act = JSON.parse(element.dataset.act);
    if (element.dataset.confirm && !(await confirmed(JSON.parse(element.dataset.confirm)))) return;
    if (message) {
      await send("click", {
        channel: message.dataset.channel,
        ts: message.dataset.ts || null,
        ephemeral: message.dataset.ephemeral || null,
        act: act,
        value: value,
        label: label,
      });
    } else if (element.closest(".bk-modal")) {
      await send("modal_click", { act: act, value: value, label: label });
    }
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (link && link.origin === location.origin && link.hash && link.pathname === "/") {
      event.preventDefault(); // a permalink to a message in this sandbox: open it here, not in a new tab
      location.hash = link.hash;
      followHash();
      return;
    }
    const target = event.target.closest("[data-channel-link], .replies, .thread-close, [data-act], .bk-close, .try");
    if (!target) return;
    if (target.dataset.channelLink) {
      event.preventDefault();
      state.channel = target.dataset.channelLink;
      state.thread = "";
      remember("channel:" + state.me, state.channel);
      note("");
      refresh();
    } else if (target.classList.contains("replies")) {
      state.thread = target.dataset.thread;
      refresh();
    } else if (target.classList.contains("thread-close")) {
      state.thread = "";
      refresh();
    } else if (target.classList.contains("bk-close")) {
      send("close", {});
    } else if (target.classList.contains("try")) {
      choosePerson(target.dataset.as);
      $("#compose").value = target.dataset.type;
      $("#compose").focus();
    } else if (target.dataset.act && target.tagName !== "SELECT") {
      if (target.tagName === "A") {
        // A link button opens its page and, as in Slack, tells the app it was clicked.
        act(target, null, target.textContent.trim());
        return;
      }
      event.preventDefault();
      act(target, null, target.textContent.trim());
    }
  });

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.id === "person") {
      choosePerson(target.value);
    } else if (target.dataset && target.dataset.act && target.tagName === "SELECT") {
      const option = target.selectedOptions[0];
      if (option && option.value) act(target, option.value, option.textContent.trim());
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.id === "composer") {
      event.preventDefault();
      compose();
    } else if (form.classList.contains("bk-modal")) {
      event.preventDefault();
      send("submit", { fields: collect(form) });
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("#modal-layer").hidden && !$("#confirm").open) send("close", {});
  });

  async function compose() {
    const input = $("#compose");
    const text = input.value.trim();
    if (!text) return;
    if (text.startsWith("/") && !/^\/incident(\s|$)/.test(text)) {
      note(text.split(/\s/)[0] + " is not a valid command. In the sandbox, Warroom's command is /incident.");
      return;
    }
    input.value = "";
    note("");
    if (text.startsWith("/incident")) await send("command", { text: text.replace(/^\/incident\s*/, "") });
    else await send("message", { text: text });
  }

  function choosePerson(id) {
    state.me = id;
    $("#person").value = id;
    remember("me", id);
    const option = $("#person").selectedOptions[0];
    state.channel = remembered("channel:" + id, option ? option.dataset.defaultChannel : "");
    state.thread = "";
    state.modalKey = "";
    note("");
    refresh();
  }

  // -- the guide -----------------------------------------------------------------------------------------

  function showGuide(shown) {
    $("#guide").hidden = !shown;
    $("#guide-open").hidden = shown;
    remember("guide", shown ? "shown" : "dismissed");
  }
  $("#guide-close").addEventListener("click", () => showGuide(false));
  $("#guide-open").addEventListener("click", () => showGuide(true));

  // A permalink (#C123/1790000000.000100) opens that conversation, and the message's thread if it has one.
  function followHash() {
    const match = /^#([CDG][A-Z0-9]+)(?:\/([0-9.]+))?$/.exec(location.hash);
    if (!match) return false;
    state.channel = match[1];
    state.thread = match[2] || "";
    remember("channel:" + state.me, state.channel);
    refresh();
    return true;
  }
  window.addEventListener("hashchange", followHash);

  showGuide(remembered("guide", "shown") === "shown");
  const known = Array.from($("#person").options).map((o) => o.value);
  const me = remembered("me", document.body.dataset.defaultPerson);
  choosePerson(known.includes(me) ? me : document.body.dataset.defaultPerson);
  followHash();
})();
