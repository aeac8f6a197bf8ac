// File pickers (portal/account/tabs/_overview_picture_field.html): the name of the chosen
// file is shown beside the button, and the "No file chosen" text again once the form is
// reset. Templates include this file wherever they render a picker, also in htmx partials,
// so it installs its handlers only once.
(function () {
  "use strict";
  if (window.orgdeskFilePickers) return;
  window.orgdeskFilePickers = true;

  function show(input) {
    const picker = input.closest(".file-picker");
    const name = picker && picker.querySelector(".file-picker-name");
    if (!name) return;
    const files = Array.from(input.files || []).map(function (file) { return file.name; });
    name.textContent = files.length ? files.join(", ") : name.dataset.empty;
    picker.classList.toggle("has-file", files.length > 0);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(".file-picker input[type=file]")) {
      show(event.target);
    }
  });
  document.addEventListener("reset", function (event) {
    const form = event.target;
    // After the reset has emptied the inputs.
    setTimeout(function () {
      form.querySelectorAll(".file-picker input[type=file]").forEach(show);
    });
  });
})();
