// The branding policy editor's live preview: the preview box follows the colour, typeface
// and header style fields as they change. Values go through CSSOM (allowed by the CSP),
// and only a valid #RRGGBB is applied.
(function () {
  "use strict";
  var box = document.getElementById("brand-preview");
  if (!box) return;
  var form = box.closest("form");
  var fonts = {
    system: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    serif: 'Georgia, Cambria, "Times New Roman", serif',
    rounded: 'ui-rounded, "Nunito", system-ui, sans-serif',
    mono: "ui-monospace, SFMono-Regular, Menlo, monospace"
  };
  function textOn(hex) {
    var rgb = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    return 1.05 / (lum + 0.05) >= (lum + 0.05) / 0.0559 ? "#ffffff" : "#18181b";
  }
  function apply() {
    var colour = (form.elements.primary_color.value || "").trim();
    if (/^#[0-9a-fA-F]{6}$/.test(colour)) {
      box.style.setProperty("--p-brand", colour);
      box.style.setProperty("--p-brand-text", textOn(colour));
    }
    var font = fonts[form.elements.font.value] || fonts.system;
    box.style.setProperty("--p-font", font);
    box.dataset.header = form.elements.header_style.value;
  }
  ["input", "change"].forEach(function (type) { form.addEventListener(type, apply); });
  apply();
})();
