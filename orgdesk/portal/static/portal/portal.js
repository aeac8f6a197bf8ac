// Organization portal behaviour: menus, ⌘K organization palette, copy, confirmations,
// language auto-submit, toasts. Plain JavaScript, loaded with `defer`; htmx does the rest.
(function () {
  "use strict";

  // ---- menus (<details data-menu>): one open at a time, Escape and outside click close ----
  function closeMenus(except) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (menu !== except && !menu.contains(except)) menu.removeAttribute("open");
    });
  }
  document.addEventListener("toggle", function (event) {
    const el = event.target;
    if (el.matches && el.matches("details[data-menu]") && el.open) {
      closeMenus(el);
      const first = el.querySelector(".menu-panel [role^=menuitem], .menu-panel a, .menu-panel button");
      if (first) first.focus();
    }
  }, true);
  document.addEventListener("click", function (event) {
    if (!event.target.closest("details[data-menu]")) closeMenus(null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      const open = document.querySelector("details[data-menu][open]");
      if (open) {
        open.removeAttribute("open");
        open.querySelector("summary").focus();
      }
    }
    // Arrow keys inside an open menu
    const panel = event.target.closest && event.target.closest(".menu-panel");
    if (panel && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      const items = Array.from(panel.querySelectorAll("a, button")).filter(function (i) { return !i.disabled; });
      const index = items.indexOf(event.target);
      const next = items[(index + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length];
      if (next) { next.focus(); event.preventDefault(); }
    }
  });

  // ---- toasts ----
  function toast(message) {
    let box = document.querySelector(".toasts");
    if (!box) {
      box = document.createElement("div");
      box.className = "toasts";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      document.querySelector("main").prepend(box);
    }
    const item = document.createElement("div");
    item.className = "toast toast-success";
    item.textContent = message;
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, 4000);
  }
  document.addEventListener("click", function (event) {
    const dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) dismiss.closest(".toast").remove();
  });

  // ---- copy account ID ----
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const text = button.dataset.copy;
    const done = function () { toast(button.dataset.copied || "Copied"); closeMenus(null); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  });
  function fallbackCopy(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    area.remove();
  }

  // ---- confirmations for destructive forms ----
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.dataset.confirm && !form.dataset.confirmed) {
      event.preventDefault();
      if (window.confirm(form.dataset.confirm)) {
        form.dataset.confirmed = "1";
        form.submit();
      }
    }
  });

  // ---- language selector submits on change ----
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
  });

  // ---- ⌘K / Ctrl+K organization palette ----
  const palette = document.getElementById("palette");
  if (palette) {
    const input = palette.querySelector("input");
    const list = palette.querySelector("#palette-results");
    const empty = palette.querySelector(".palette-empty");
    let results = [];
    let active = -1;
    let timer = null;
    let seq = 0;

    function render() {
      list.innerHTML = "";
      results.forEach(function (r, i) {
        const li = document.createElement("li");
        li.id = "palette-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        const name = document.createElement("strong");
        name.textContent = r.name;
        const route = document.createElement("span");
        route.className = "muted";
        route.textContent = r.route;
        li.append(name, route);
        li.addEventListener("click", function () { window.location.assign(r.url); });
        list.appendChild(li);
      });
      input.setAttribute("aria-activedescendant", active >= 0 ? "palette-option-" + active : "");
      empty.hidden = results.length > 0;
      const current = list.children[active];
      if (current) current.scrollIntoView({ block: "nearest" });
    }

    function search() {
      const mine = ++seq;
      fetch(palette.dataset.searchUrl + "?q=" + encodeURIComponent(input.value), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (mine !== seq) return;
          results = data.results || [];
          active = results.length ? 0 : -1;
          render();
        });
    }

    function open() {
      if (!palette.open) palette.showModal();
      input.value = "";
      search();
      input.focus();
    }

    document.addEventListener("keydown", function (event) {
      if ((event.metaKey || event.ctrlKey) && event.key.toLowerCase() === "k") {
        event.preventDefault();
        open();
      }
    });
    document.querySelectorAll("[data-palette-open]").forEach(function (b) { b.addEventListener("click", open); });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && results.length) { active = (active + 1) % results.length; render(); event.preventDefault(); }
      else if (event.key === "ArrowUp" && results.length) { active = (active - 1 + results.length) % results.length; render(); event.preventDefault(); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); window.location.assign(results[active].url); }
      else if (event.key === "Escape") { event.preventDefault(); palette.close(); }
    });
    palette.addEventListener("click", function (event) { if (event.target === palette) palette.close(); });
  }

  // ---- htmx: busy state (skeleton rows, see portal.css) on the region being reloaded ----
  function setBusy(value) {
    document.querySelectorAll("#results, .tab-panel").forEach(function (region) {
      region.setAttribute("aria-busy", value ? "true" : "false");
    });
  }
  document.addEventListener("htmx:beforeRequest", function () { setBusy(true); });
  document.addEventListener("htmx:afterRequest", function () { setBusy(false); });
  document.addEventListener("htmx:beforeHistorySave", function () { setBusy(false); });

  // ---- keep forms in step with the address bar after htmx navigation ----
  function syncWithLocation() {
    const here = window.location.pathname + window.location.search;
    document.querySelectorAll(".pin-form, .theme-form, .lang-form").forEach(function (form) {
      const input = form.querySelector("input[name=next]");
      if (input) input.value = here;
    });
    const form = document.getElementById("list-form");
    if (!form) return;
    const params = new URLSearchParams(window.location.search);
    Array.from(form.elements).forEach(function (el) {
      if (!el.name || el.type === "submit" || el.type === "hidden" || el.name === "size") return;
      if (params.has(el.name)) el.value = params.get(el.name);
      else if (el.tagName === "SELECT") { if (el.name !== "scope") el.selectedIndex = 0; }
      else el.value = "";
    });
  }
  document.addEventListener("htmx:pushedIntoHistory", syncWithLocation);
  document.addEventListener("htmx:replacedInHistory", syncWithLocation);
  document.addEventListener("htmx:historyRestore", function () { setBusy(false); syncWithLocation(); });
  document.addEventListener("htmx:responseError", function () {
    toast(document.body.dataset.loadError || "Error");
  });
})();
