// Searchable picker over a native <select multiple data-picker>: type to filter, tap or Enter
// to add, chips to remove. The select stays in the form (hidden) and is what is submitted, so
// without JavaScript the native control works as it is. Keyboard: arrows move in the list,
// Enter adds, Escape closes, Backspace in the empty box removes the last chip.
(function () {
  "use strict";
  var counter = 0;

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }

  function enhance(select) {
    var id = select.id || "picker-" + (++counter);
    var label = document.querySelector('label[for="' + id + '"]');
    var name = label ? label.textContent.trim() : "choices";
    var box = el("div", "picker");
    var chips = el("ul", "picker-chips");
    chips.setAttribute("aria-label", "Chosen " + name.toLowerCase());
    var input = el("input", "picker-input");
    var list = el("ul", "picker-options");
    var status = el("p", "visually-hidden");
    var active = -1;
    var shown = [];

    input.type = "text";
    input.id = id + "-search";
    input.autocomplete = "off";
    input.placeholder = "Type to search…";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "-options");
    ["aria-describedby", "aria-invalid"].forEach(function (attr) {
      if (select.hasAttribute(attr)) { input.setAttribute(attr, select.getAttribute(attr)); }
    });
    list.id = id + "-options";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", name);
    list.hidden = true;
    status.setAttribute("aria-live", "polite");
    if (label) { label.htmlFor = input.id; }

    function announce(text) { status.textContent = text; }

    function renderChips() {
      chips.textContent = "";
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.selected) { return; }
        var chip = el("li", "chip");
        chip.appendChild(el("span", null, option.textContent));
        var remove = el("button", "chip-remove", "×");
        remove.type = "button";
        remove.setAttribute("aria-label", "Remove " + option.textContent);
        remove.addEventListener("click", function () {
          option.selected = false;
          select.dispatchEvent(new Event("change", { bubbles: true }));
          renderChips();
          renderList();
          announce(option.textContent + " removed");
          input.focus();
        });
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
      chips.hidden = chips.children.length === 0;
    }

    function renderList() {
      var query = fold(input.value.trim());
      list.textContent = "";
      shown = Array.prototype.filter.call(select.options, function (option) {
        return !option.selected && (!query || fold(option.textContent).indexOf(query) !== -1 ||
          fold(option.value) === query);
      });
      // Names starting with the query first ("ger": Germany before Algeria), then word starts.
      function rank(option) {
        var text = fold(option.textContent);
        if (!query || text.indexOf(query) === 0 || fold(option.value) === query) { return 0; }
        return (" " + text).indexOf(" " + query) !== -1 ? 1 : 2;
      }
      shown = shown.map(function (option, index) { return [rank(option), index, option]; })
        .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; })
        .map(function (entry) { return entry[2]; });
      active = Math.min(active, shown.length - 1);
      shown.forEach(function (option, index) {
        var item = el("li", "picker-option", option.textContent);
        item.id = id + "-option-" + index;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", index === active ? "true" : "false");
        // mousedown, not click: the box keeps the focus, so the list stays open for the next pick
        item.addEventListener("mousedown", function (event) { event.preventDefault(); });
        item.addEventListener("click", function () { choose(option); });
        list.appendChild(item);
      });
      if (shown.length === 0) {
        var none = el("li", "picker-empty", query ? "No match" : "All chosen");
        none.setAttribute("aria-disabled", "true");
        list.appendChild(none);
      }
      input.setAttribute("aria-activedescendant", active >= 0 ? id + "-option-" + active : "");
    }

    function open() {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      renderList();
    }

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function choose(option) {
      option.selected = true;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      input.value = "";
      active = -1;
      renderChips();
      renderList();
      announce(option.textContent + " added");
      input.focus();
    }

    function move(step) {
      if (list.hidden) { open(); }
      if (shown.length === 0) { return; }
      active = (active + step + shown.length) % shown.length;
      renderList();
      var current = document.getElementById(id + "-option-" + active);
      if (current) { current.scrollIntoView({ block: "nearest" }); }
    }

    input.addEventListener("input", function () { active = 0; open(); });
    input.addEventListener("focus", open);
    input.addEventListener("click", open);
    input.addEventListener("blur", close);
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); move(1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); move(-1); }
      else if (event.key === "Enter") {
        if (!list.hidden && active >= 0 && shown[active]) { event.preventDefault(); choose(shown[active]); }
        else if (!list.hidden) { event.preventDefault(); }
      } else if (event.key === "Escape") { close(); }
      else if (event.key === "Backspace" && input.value === "") {
        var chosen = Array.prototype.filter.call(select.options, function (o) { return o.selected; });
        var last = chosen[chosen.length - 1];
        if (last) {
          last.selected = false;
          renderChips();
          renderList();
          announce(last.textContent + " removed");
        }
      }
    });

    select.hidden = true;
    select.tabIndex = -1;
    select.setAttribute("aria-label", name);  // its <label> now names the search box
    select.parentNode.insertBefore(box, select);
    box.appendChild(chips);
    box.appendChild(input);
    box.appendChild(list);
    box.appendChild(status);
    box.appendChild(select);
    renderChips();
  }

  function init(root) {
    root.querySelectorAll("select[multiple][data-picker]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
