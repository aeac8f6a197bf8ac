// Organization portal behaviour: menus, ⌘K organization palette, copy, confirmations (one
// styled dialog), language auto-submit, toasts, skeleton rows while htmx reloads a list or a
// tab, error toasts. Plain JavaScript, loaded with `defer`; htmx does the rest.
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
    // A click in a dialog (the confirmation a menu item opened) leaves the menu as it is.
    if (!event.target.closest("details[data-menu]") && !event.target.closest("dialog")) closeMenus(null);
  });
  document.addEventListener("keydown", function (event) {
    // Escape in a dialog is the dialog's (it closes itself), not the menus'.
    if (event.key === "Escape" && !(event.target.closest && event.target.closest("dialog[open]"))) {
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
  function toast(message, kind) {
    let box = document.querySelector(".toasts");
    if (!box) {
      box = document.createElement("div");
      box.className = "toasts";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      document.querySelector("main").prepend(box);
    }
    const item = document.createElement("div");
    item.className = "toast toast-" + (kind || "success");
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

  // ---- confirmations: a form with data-confirm="<question>" asks first, in one styled dialog ----
  // Optional on the form: data-confirm-title, data-confirm-action (the confirm button's label),
  // data-confirm-kind="primary" (not destructive). The defaults, translated, are on <body>.
  // Plain forms and htmx forms (hx-post) alike: the submit event is held in the capture phase,
  // before htmx's own listener on the form, and sent again with requestSubmit on confirm.
  let confirmDialog = null;
  function buildConfirmDialog() {
    const labels = document.body.dataset;
    const dialog = document.createElement("dialog");
    dialog.className = "dialog confirm-dialog";
    dialog.id = "confirm-dialog";
    dialog.setAttribute("role", "alertdialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
    dialog.setAttribute("aria-describedby", "confirm-dialog-message");
    const box = document.createElement("form");
    box.method = "dialog";
    const title = document.createElement("h2");
    title.id = "confirm-dialog-title";
    const message = document.createElement("p");
    message.id = "confirm-dialog-message";
    const actions = document.createElement("div");
    actions.className = "form-actions";
    const cancel = document.createElement("button");
    cancel.type = "submit";
    cancel.value = "cancel";
    cancel.className = "btn";
    cancel.dataset.confirmCancel = "";
    cancel.textContent = labels.confirmCancel || "Cancel";
    const ok = document.createElement("button");
    ok.type = "submit";
    ok.value = "confirm";
    ok.dataset.confirmOk = "";
    actions.append(cancel, ok);
    box.append(title, message, actions);
    dialog.appendChild(box);
    // The backdrop (the dialog element itself; its form fills it) cancels.
    dialog.addEventListener("click", function (event) { if (event.target === dialog) dialog.close("cancel"); });
    document.body.appendChild(dialog);
    return dialog;
  }
  function focusable(el) {
    return el && el.isConnected && !el.disabled && el.getClientRects().length > 0;
  }
  function askToConfirm(form, submitter) {
    if (!confirmDialog || !confirmDialog.isConnected) confirmDialog = buildConfirmDialog();
    const dialog = confirmDialog;
    const labels = document.body.dataset;
    const ok = dialog.querySelector("[data-confirm-ok]");
    dialog.querySelector("#confirm-dialog-title").textContent = form.dataset.confirmTitle || labels.confirmTitle || "Are you sure?";
    dialog.querySelector("#confirm-dialog-message").textContent = form.dataset.confirm;
    ok.textContent = form.dataset.confirmAction || labels.confirmAction || "Confirm";
    ok.className = "btn " + (form.dataset.confirmKind === "primary" ? "primary" : "destructive");
    const trigger = submitter || form.querySelector("[type=submit]") || document.activeElement;
    dialog.returnValue = "";
    dialog.onclose = function () {
      dialog.onclose = null;
      if (dialog.returnValue === "confirm" && form.isConnected) {
        form.dataset.confirmed = "1";
        if (typeof form.requestSubmit === "function") {
          if (submitter && submitter.form === form) form.requestSubmit(submitter); else form.requestSubmit();
        } else {
          delete form.dataset.confirmed;
          form.submit();
        }
        return;
      }
      // Cancelled (button, Escape, backdrop): back to the trigger, or to its menu when that closed.
      const menu = trigger && trigger.closest ? trigger.closest("details") : null;
      if (focusable(trigger)) trigger.focus();
      else if (menu && focusable(menu.querySelector("summary"))) menu.querySelector("summary").focus();
    };
    dialog.showModal();
    // Focus the safe choice of a destructive question, the confirm button of another.
    (form.dataset.confirmKind === "primary" ? ok : dialog.querySelector("[data-confirm-cancel]")).focus();
  }
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    if (form.dataset.confirmed) {
      delete form.dataset.confirmed;  // this submission goes on; the next one asks again
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();  // htmx must not send it either
    askToConfirm(form, event.submitter);
  }, true);

  // ---- "Go back" on the error pages: the browser's history when there is one ----
  document.addEventListener("click", function (event) {
    const back = event.target.closest("a[data-go-back]");
    if (back && window.history.length > 1 && !event.metaKey && !event.ctrlKey && !event.shiftKey) {
      event.preventDefault();
      window.history.back();
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
  // A list (#results) or a tab (.tab-panel) is busy while a request that replaces it is in
  // flight: its target is the region or holds it (not a smaller part of it, such as the
  // "Count exactly" total). Several requests at once: busy until the last one ends.
  const REGIONS = "#results, .tab-panel";
  const inFlight = new Map();  // request element -> the regions it made busy
  function regionsOf(target) {
    if (!target || !target.matches) return [];
    if (target.matches(REGIONS)) return [target];
    return Array.from(target.querySelectorAll(REGIONS));
  }
  function refreshBusy() {
    const busy = new Set();
    inFlight.forEach(function (regions) { regions.forEach(function (r) { busy.add(r); }); });
    document.querySelectorAll(REGIONS).forEach(function (region) {
      region.setAttribute("aria-busy", busy.has(region) ? "true" : "false");
    });
  }
  function clearBusy() { inFlight.clear(); refreshBusy(); }
  document.addEventListener("htmx:beforeRequest", function (event) {
    const regions = regionsOf(event.detail && event.detail.target);
    if (!regions.length) return;
    inFlight.set(event.detail.xhr || event.target, regions);
    refreshBusy();
  });
  function requestEnded(event) {
    const key = event.detail && event.detail.xhr;
    if (key && inFlight.delete(key)) refreshBusy();
    else if (inFlight.delete(event.target)) refreshBusy();
  }
  document.addEventListener("htmx:afterRequest", requestEnded);
  document.addEventListener("htmx:sendError", requestEnded);
  document.addEventListener("htmx:timeout", requestEnded);
  document.addEventListener("htmx:sendAbort", requestEnded);
  document.addEventListener("htmx:beforeHistorySave", clearBusy);

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
  document.addEventListener("htmx:historyRestore", function () { clearBusy(); syncWithLocation(); });
  // An error answer (orgdesk/errors.py sends htmx a fragment with its message) is not swapped:
  // its message, else the generic one, shows in a toast.
  document.addEventListener("htmx:responseError", function (event) {
    let message = "";
    const xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.responseText) {
      const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const fragment = doc.querySelector("[data-error-message]");
      if (fragment) message = fragment.dataset.errorMessage;
    }
    toast(message || document.body.dataset.loadError || "Error", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast(document.body.dataset.loadError || "Error", "error");
  });
})();
