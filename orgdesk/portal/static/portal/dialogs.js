// Dialogs: a button with data-dialog-open="<id>" opens <dialog id="<id>"> as a modal (focus
// moves into it, Escape closes it, focus returns to the button); a [data-dialog-close] button
// inside closes it, and so does a click on the backdrop. Pages include this file wherever
// they render a dialog, also in htmx partials, so it installs its handlers only once.
(function () {
  "use strict";
  if (window.orgdeskDialogs) return;
  window.orgdeskDialogs = true;

  document.addEventListener("click", function (event) {
    const opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.dialogOpen);
      if (dialog && typeof dialog.showModal === "function" && !dialog.open) {
        event.preventDefault();
        dialog.showModal();
      }
      return;
    }
    const closer = event.target.closest("dialog [data-dialog-close]");
    if (closer) {
      event.preventDefault();
      closer.closest("dialog").close();
      return;
    }
    // The dialog element itself is only hit on its backdrop (its form fills it).
    if (event.target.matches("dialog.dialog[open]")) event.target.close();
  });

  // A dialog's form starts afresh each time it opens.
  document.addEventListener("close", function (event) {
    const dialog = event.target;
    if (dialog.matches && dialog.matches("dialog.dialog")) {
      const form = dialog.querySelector("form");
      if (form) form.reset();
    }
  }, true);
})();
