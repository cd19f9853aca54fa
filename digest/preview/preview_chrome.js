/* The preview's chrome, loaded only by pages the preview server sends (never in the ebook):
   a toolbar (pages, device size, grayscale, downloads), live reload over Server-Sent
   Events, and an overlay that shows a failed build while the last good pages stay up. */
(function () {
  "use strict";
  var DEVICES = [/*DEVICES*/];
  var root = document.documentElement;
  var store = window.localStorage;
  var meta = document.querySelector('meta[name="digest-preview-generation"]');
  var shownGeneration = meta ? Number(meta.getAttribute("content")) : 0;

  function el(tag, attrs, text) {
    // createElement gives XHTML elements in application/xhtml+xml documents too.
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function whenReady(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback);
    } else {
      callback();
    }
  }

  function applyView() {
    var wanted = store.getItem("digest-preview-device");
    var device = DEVICES.filter(function (d) { return d.id === wanted; })[0] || DEVICES[0];
    root.classList.toggle("dp-device", device.width > 0);
    root.style.width = device.width ? device.width + "px" : "";
    root.style.height = device.height ? device.height + "px" : "";
    root.classList.toggle("dp-gray", store.getItem("digest-preview-gray") === "1");
    return device;
  }

  function buildToolbar() {
    // The toolbar hangs off <html>, outside <body>, so the page's styles and the
    // grayscale filter on <body> do not touch it.
    var bar = el("div", {id: "digest-preview-bar"});
    bar.appendChild(el("strong", {}, "digest preview"));
    var pages = el("select", {id: "digest-preview-pages", title: "Go to page"});
    pages.addEventListener("change", function () { window.location.href = "/" + pages.value; });
    bar.appendChild(pages);
    var devices = el("select", {id: "digest-preview-device", title: "Screen size"});
    var current = applyView();
    DEVICES.forEach(function (d) {
      var label = d.width ? d.name + " " + d.width + "\u00d7" + d.height : d.name;
      var option = el("option", {value: d.id}, label);
      if (d.id === current.id) { option.setAttribute("selected", "selected"); }
      devices.appendChild(option);
    });
    devices.addEventListener("change", function () {
      store.setItem("digest-preview-device", devices.value);
      applyView();
    });
    bar.appendChild(devices);
    var grayLabel = el("label", {});
    var gray = el("input", {type: "checkbox", id: "digest-preview-gray"});
    gray.checked = store.getItem("digest-preview-gray") === "1";
    gray.addEventListener("change", function () {
      store.setItem("digest-preview-gray", gray.checked ? "1" : "0");
      applyView();
    });
    grayLabel.appendChild(gray);
    grayLabel.appendChild(document.createTextNode(" Grayscale"));
    bar.appendChild(grayLabel);
    bar.appendChild(el("span", {id: "digest-preview-downloads"}));
    root.appendChild(bar);
  }

  function showPages(list) {
    var select = document.getElementById("digest-preview-pages");
    var here = window.location.pathname.replace(/^\//, "");
    select.textContent = "";
    list.forEach(function (page) {
      var option = el("option", {value: page[0]}, page[1]);
      if (page[0] === here) { option.setAttribute("selected", "selected"); }
      select.appendChild(option);
    });
  }

  function showDownloads(downloads) {
    var box = document.getElementById("digest-preview-downloads");
    var formats = Object.keys(downloads);
    box.textContent = formats.length ? "Download: " : "No built ebooks yet (digest build)";
    formats.forEach(function (format) {
      box.appendChild(el("a", {href: downloads[format], download: ""}, format.toUpperCase()));
      box.appendChild(document.createTextNode(" "));
    });
  }

  function showError(message) {
    var overlay = document.getElementById("digest-preview-overlay");
    if (!message) {
      if (overlay) { overlay.parentNode.removeChild(overlay); }
      return;
    }
    if (!overlay) {
      overlay = el("div", {id: "digest-preview-overlay", role: "alert"});
      root.appendChild(overlay);
    }
    overlay.textContent = "";
    overlay.appendChild(el("h2", {}, "Build failed"));
    overlay.appendChild(el("pre", {}, message));
    overlay.appendChild(el("p", {}, "You are looking at the last good build. Save a fix and this page reloads."));
    var close = el("button", {type: "button"}, "Hide");
    close.addEventListener("click", function () { overlay.style.display = "none"; });
    overlay.appendChild(close);
  }

  root.classList.add("dp-chrome");
  applyView();
  whenReady(buildToolbar);

  var events = new EventSource("/__preview__/events");
  events.onmessage = function (event) {
    var state = JSON.parse(event.data);
    if (state.generation > shownGeneration) {
      events.close();
      window.location.reload();
      return;
    }
    whenReady(function () {
      showPages(state.pages);
      showDownloads(state.downloads);
      showError(state.error);
    });
  };
})();
