/* dailypapers search: loads search.json (or search-index.js on file://), matches every word of
   the query against titles, tags and summaries, and lists the hits. Text is only ever set with
   textContent, never parsed as HTML. */
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  var out = document.getElementById("search-results");
  if (!form || !out) { return; }
  var input = form.querySelector("input");
  var root = form.getAttribute("data-root") || "";
  var papers = null;
  var loading = null;
  var timer = null;

  function prepare(data) {
    var list = (data && data.papers) || [];
    return list.map(function (p) {
      var tags = (p.tags || []).map(function (t) { return String(t).toLowerCase(); });
      return { p: p, title: String(p.title || "").toLowerCase(), tags: tags,
               tagText: tags.join(" \u0001 "), text: String(p.text || "").toLowerCase() };
    });
  }

  function load() {
    if (papers) { return Promise.resolve(papers); }
    if (!loading) {
      if (window.DAILYPAPERS_SEARCH) {
        loading = Promise.resolve(window.DAILYPAPERS_SEARCH);
      } else if (location.protocol === "file:") {
        loading = new Promise(function (resolve, reject) {
          var script = document.createElement("script");
          script.src = root + "search-index.js";
          script.addEventListener("load", function () { resolve(window.DAILYPAPERS_SEARCH); });
          script.addEventListener("error", reject);
          document.head.appendChild(script);
        });
      } else {
        loading = fetch(root + "search.json").then(function (response) {
          if (!response.ok) { throw new Error("search.json: HTTP " + response.status); }
          return response.json();
        });
      }
      loading = loading.then(function (data) { papers = prepare(data); return papers; });
    }
    return loading;
  }

  function score(entry, words) {
    var total = 0;
    for (var i = 0; i < words.length; i++) {
      var w = words[i], best = 0;
      if (entry.tags.indexOf(w) >= 0) { best = 6; }
      else if (entry.title.indexOf(w) >= 0) { best = 4; }
      else if (entry.tagText.indexOf(w) >= 0) { best = 3; }
      else if (entry.text.indexOf(w) >= 0) { best = 1; }
      if (!best) { return 0; }
      total += best;
    }
    return total;
  }

  function element(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }

  function show(query) {
    var words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) { out.hidden = true; out.replaceChildren(); return; }
    var phrase = query.trim().toLowerCase();
    load().then(function (list) {
      var hits = [];
      list.forEach(function (entry) {
        var s = score(entry, words);
        if (entry.tags.indexOf(phrase) >= 0) { s += 10; }
        if (s) { hits.push({ entry: entry, score: s }); }
      });
      hits.sort(function (a, b) {
        return b.score - a.score || (a.entry.p.date < b.entry.p.date ? 1 : -1);
      });
      var noun = form.getAttribute(hits.length === 1 ? "data-result" : "data-results") || "";
      var summary = element("p", "hit", hits.length ? hits.length + " " + noun
                                                    : (form.getAttribute("data-empty") || "No match."));
      var ol = element("ol");
      hits.slice(0, 50).forEach(function (hit) {
        var p = hit.entry.p;
        var li = element("li", "result");
        var a = element("a", null, p.title);
        a.setAttribute("href", root + p.url);
        li.appendChild(a);
        li.appendChild(element("span", "date", p.date));
        var tags = (p.tags || []).filter(function (t) {
          var low = String(t).toLowerCase();
          return words.some(function (w) { return low.indexOf(w) >= 0; });
        });
        if (tags.length) { li.appendChild(element("span", "hit", "#" + tags.slice(0, 3).join(" #"))); }
        ol.appendChild(li);
      });
      out.replaceChildren(summary, ol);
      out.hidden = false;
    }).catch(function () {
      out.replaceChildren(element("p", "hit", form.getAttribute("data-unavailable") || "Search unavailable."));
      out.hidden = false;
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { show(input.value); }, 120);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { input.value = ""; show(""); }
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); show(input.value); });

  var initial = new URLSearchParams(location.search).get("q");
  if (initial) { input.value = initial; show(initial); }
})();
