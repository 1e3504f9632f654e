/* The pages' only script: small improvements; every page works without it.
   Loaded from our origin (the Content-Security-Policy allows no inline script).

   - data-focus-on-load: the error summary or the "案件已被他人更新" notice takes the
     focus when the page opens, so a screen reader reads it first (GOV.UK pattern).
   - data-shown-for / data-shown-value: a group shown only while a radio group has a
     value (保密 only for 举报); without the script it is always shown.
   - data-prevent-double-click: a form is not sent twice by a double click. */
(function () {
  "use strict";

  function focusOnLoad() {
    var target = document.querySelector("[data-focus-on-load]");
    if (target) {
      target.focus();
    }
  }

  function conditionalGroups() {
    var groups = document.querySelectorAll("[data-shown-for]");
    Array.prototype.forEach.call(groups, function (group) {
      var name = group.getAttribute("data-shown-for");
      var value = group.getAttribute("data-shown-value");
      var form = group.closest("form");
      if (!form) {
        return;
      }
      var radios = form.querySelectorAll('input[type="radio"][name="' + name + '"]');
      function update() {
        var chosen = form.querySelector('input[type="radio"][name="' + name + '"]:checked');
        var show = chosen !== null && chosen.value === value;
        // Keep a group that holds an error visible, whatever is chosen.
        if (group.querySelector(".error-message")) {
          show = true;
        }
        group.hidden = !show;
        if (!show) {
          var boxes = group.querySelectorAll('input[type="checkbox"]');
          Array.prototype.forEach.call(boxes, function (box) {
            box.checked = false;
          });
        }
      }
      Array.prototype.forEach.call(radios, function (radio) {
        radio.addEventListener("change", update);
      });
      update();
    });
  }

  function preventDoubleClick() {
    var buttons = document.querySelectorAll("[data-prevent-double-click]");
    Array.prototype.forEach.call(buttons, function (button) {
      var form = button.form;
      if (!form) {
        return;
      }
      form.addEventListener("submit", function (event) {
        if (form.getAttribute("data-submitted") === "true") {
          event.preventDefault();
          return;
        }
        form.setAttribute("data-submitted", "true");
        window.setTimeout(function () {
          form.removeAttribute("data-submitted");
        }, 2000);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusOnLoad();
    conditionalGroups();
    preventDoubleClick();
  });
})();
