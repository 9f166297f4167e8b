/* Hospital ITSM — small behaviours on top of htmx and Bootstrap. No inline scripts:
   everything a page needs is wired here through data attributes. */
(function () {
  "use strict";

  function isTyping(element) {
    if (!element) return false;
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  function submitForm(form) {
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
  }

  function focusFirstField(container) {
    var field = container.querySelector("[autofocus]") ||
      container.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
    if (field) field.focus();
  }

  /* Keyboard: Ctrl/⌘+Enter submits the form being typed in; "/" jumps to the search box. */
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      var form = event.target && event.target.form;
      if (form) {
        event.preventDefault();
        submitForm(form);
      }
      return;
    }
    if (event.key === "/" && !isTyping(event.target) && !event.ctrlKey && !event.metaKey) {
      var search = document.getElementById("nav-search");
      if (search) {
        event.preventDefault();
        search.focus();
        search.select();
      }
    }
  });

  /* Dialogs whose content htmx loads: focus the first field once both the dialog is shown
     and its content has arrived; empty them again when closed. */
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var modal = target && target.closest(".modal");
    if (modal && modal.classList.contains("show")) focusFirstField(target);
    if (target && target.matches("[data-picker-results]")) {
      var first = target.querySelector("[data-pk]");
      if (first) first.classList.add("active");
    }
  });
  document.addEventListener("shown.bs.modal", function (event) {
    focusFirstField(event.target.querySelector(".modal-content") || event.target);
  });
  document.addEventListener("hidden.bs.modal", function (event) {
    var content = event.target.querySelector("[data-modal-content]");
    if (content && content.dataset.placeholder !== undefined) {
      var template = document.getElementById(content.dataset.placeholder);
      content.innerHTML = template ? template.innerHTML : "";
    }
  });

  /* Export links (_export_menu.html): htmx may have changed the list's filters and sort
     (and the address) since the page was rendered; export what the address shows now. */
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-export]");
    if (!link || new URL(link.href).pathname !== window.location.pathname) return;
    var params = new URLSearchParams(window.location.search);
    ["page", "page_size", "export"].forEach(function (key) { params.delete(key); });
    params.set("export", link.dataset.export);
    link.href = window.location.pathname + "?" + params.toString();
  });

  /* A server error during an htmx request: say so instead of doing nothing. */
  document.addEventListener("htmx:responseError", function (event) {
    var box = document.getElementById("htmx-error");
    if (box) box.classList.remove("d-none");
  });
  document.addEventListener("htmx:sendError", function () {
    var box = document.getElementById("htmx-error");
    if (box) box.classList.remove("d-none");
  });

  /* Requester picker on the desk console: type a name, user name, phone or department;
     ↑/↓ choose, Enter or Tab takes the highlighted person, Esc closes the list. */
  function initPicker(root) {
    var input = root.querySelector("[data-picker-input]");
    var hidden = root.querySelector("[data-picker-value]");
    var results = root.querySelector("[data-picker-results]");
    var info = root.querySelector("[data-picker-info]");
    if (!input || !hidden || !results) return;

    function items() {
      return Array.prototype.slice.call(results.querySelectorAll("[data-pk]"));
    }
    function setActive(item) {
      items().forEach(function (el) { el.classList.toggle("active", el === item); });
      if (item) item.scrollIntoView({ block: "nearest" });
    }
    function pick(item) {
      hidden.value = item.dataset.pk;
      input.value = item.dataset.label;
      if (info) info.textContent = item.dataset.info || "";
      input.classList.remove("is-invalid");
      input.classList.add("is-valid");
      results.innerHTML = "";
      var department = document.getElementById(root.dataset.departmentField || "");
      if (department && !department.value && item.dataset.department) {
        department.value = item.dataset.department;
      }
    }
    function focusNext() {
      var next = document.getElementById(root.dataset.next || "");
      if (next) next.focus();
    }

    input.addEventListener("keydown", function (event) {
      var list = items();
      if (!list.length) return;
      var current = results.querySelector(".active");
      var index = list.indexOf(current);
      if (event.key === "ArrowDown") {
        event.preventDefault();
        setActive(list[Math.min(index + 1, list.length - 1)]);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        setActive(list[Math.max(index - 1, 0)]);
      } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        pick(current || list[0]);
        focusNext();
      } else if (event.key === "Tab" && !event.shiftKey) {
        pick(current || list[0]);
      } else if (event.key === "Escape") {
        results.innerHTML = "";
      }
    });
    input.addEventListener("input", function () {
      if (hidden.value) {
        hidden.value = "";
        input.classList.remove("is-valid");
        if (info) info.textContent = "";
      }
    });
    results.addEventListener("mousedown", function (event) {
      event.preventDefault(); /* keep focus in the input until the click is handled */
    });
    results.addEventListener("click", function (event) {
      var item = event.target.closest("[data-pk]");
      if (item) {
        pick(item);
        focusNext();
      }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(function () { results.innerHTML = ""; }, 150);
    });
  }

  /* The console's suggested articles: "solve with this article" fills the form's hidden
     solved_by_article field and submits the call, which is logged and resolved at once. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-solve-article]");
    if (!button || !button.form) return;
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    var field = button.form.querySelector("input[name=solved_by_article]");
    if (!field) return;
    field.value = button.dataset.solveArticle;
    submitForm(button.form);
  });

  function init(root) {
    root.querySelectorAll("[data-requester-picker]").forEach(initPicker);
    root.querySelectorAll("[data-autohide]").forEach(function (alert) {
      window.setTimeout(function () {
        if (window.bootstrap) window.bootstrap.Alert.getOrCreateInstance(alert).close();
      }, 8000);
    });
    root.querySelectorAll("[data-show-on-load]").forEach(function (element) {
      if (!window.bootstrap) return;
      if (element.classList.contains("modal")) {
        window.bootstrap.Modal.getOrCreateInstance(element).show();
      } else if (element.classList.contains("collapse")) {
        window.bootstrap.Collapse.getOrCreateInstance(element, { toggle: false }).show();
        focusFirstField(element);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
  });
})();
