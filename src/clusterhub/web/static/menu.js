// The site menu on narrow screens: collapsed behind a "Menu" button. Loaded right after the
// header (not deferred), so the menu is collapsed before the page paints; without JavaScript
// the button stays hidden and the menu is simply shown. Also collapses the filter panels
// (<details data-collapse-narrow>) on narrow screens, where they would push results far down.
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 640px)");
  var header = document.querySelector("header.site");
  var button = document.querySelector(".menu-button");
  var menu = document.getElementById("site-menu");
  if (header && button && menu) {
    header.classList.add("menu-ready");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    });
  }
  function collapseFilters() {
    if (!narrow.matches) { return; }
    document.querySelectorAll("details[data-collapse-narrow]").forEach(function (details) {
      details.open = false;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", collapseFilters);
  } else {
    collapseFilters();
  }
})();
