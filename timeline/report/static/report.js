// The report's page: rebuilds each day's state from the embedded changes and draws the panels.
// Every text that comes from the log is set with textContent (or an SVG <title>/<text> node's
// textContent), never parsed as HTML.
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var GONE = -1, SAME = -2;
  var PALETTE = ["#1f5fbf", "#c0262d", "#2b7a3d", "#8a4fbf", "#d97a00", "#00838f", "#7a5c3e", "#c2185b", "#546e7a", "#9e9d24"];

  // -- building elements (text only: no HTML is ever parsed) --------------------------------------

  function h(tag, className, children) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    append(node, children);
    return node;
  }
  function append(node, children) {
    if (children === undefined || children === null) return node;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
    });
    return node;
  }
  function s(tag, attributes, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, String(attributes[name])); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function tip(node, text) { node.appendChild(s("title", {}, text)); return node; }
  function badge(kind, text) { return h("span", "badge " + kind, text); }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function body(id) { return clear(document.querySelector("#" + id + " > .body")); }

  // -- the data ------------------------------------------------------------------------------------

  function load() {
    var element = document.getElementById("timeline-data");
    var text = element.textContent;
    if (element.getAttribute("data-encoding") !== "gzip+base64") return Promise.resolve(JSON.parse(text));
    var binary = atob(JSON.parse(text));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  function Report(data) {
    var self = this;
    this.data = data;
    this.days = data.days;
    this.dates = data.days.map(function (day) { return day[0]; });
    this.knowledgeDays = data.knowledge_days;
    this.lastReported = this.knowledgeDays[this.knowledgeDays.length - 1];
    this.targets = {};
    data.retractions.forEach(function (link) { self.targets[link[0]] = link[1]; });
    this.madePublic = null;
    this.colors = {};
    this.event = function (index) {
      var row = data.events[index];
      return {
        index: index, id: row[0], kind: data.kinds[row[1]], occurred: row[2], reported: row[3],
        source: data.strings[row[4]], text: row[5], unverified: !!row[6], note: row[7],
        worded: row[8], visibleInFull: !!row[9], exceptions: row[10]
      };
    };
    this.fact = function (index) {
      var row = data.facts[index];
      return {
        index: index, path: data.paths[row[0]], text: row[1], events: row[2], unverified: !!row[3],
        panel: row[4], where: row[5], place: row[6]
      };
    };
    this.color = function (name) {
      if (!(name in self.colors)) self.colors[name] = PALETTE[Object.keys(self.colors).length % PALETTE.length];
      return self.colors[name];
    };
  }

  // The knowledge day that answers for K: the last day on or before K on which reports were made
  // public (any day in between knew exactly as much). null: everything known; "" : nothing yet.
  Report.prototype.effectiveKnown = function (known) {
    if (!known || known >= this.lastReported) return null;
    var found = "";
    for (var i = 0; i < this.knowledgeDays.length && this.knowledgeDays[i] <= known; i++) found = this.knowledgeDays[i];
    return found;
  };

  Report.prototype.positionOf = function (date) {
    var position = 0;
    for (var i = 0; i < this.dates.length && this.dates[i] <= date; i++) position = i;
    return position;
  };

  // {path index: fact index} as of position `position`, known on K (already effective).
  Report.prototype.stateAt = function (position, known) {
    if (known === "") return {};
    if (known !== null) position = Math.min(position, this.positionOf(known));
    var state = {};
    for (var p = 0; p <= position; p++) {
      this.days[p][3].forEach(function (change) {
        if (change[1] === GONE) delete state[change[0]]; else state[change[0]] = change[1];
      });
    }
    var entry = known !== null ? this.data.known[known] : undefined;
    if (entry) {
      var overrides = {};
      for (var q = entry[0]; q <= position && q - entry[0] < entry[1].length; q++) {
        entry[1][q - entry[0]].forEach(function (delta) {
          if (delta[1] === SAME) delete overrides[delta[0]]; else overrides[delta[0]] = delta[1];
        });
      }
      Object.keys(overrides).forEach(function (path) {
        if (overrides[path] === GONE) delete state[path]; else state[path] = overrides[path];
      });
    }
    return state;
  };

  Report.prototype.visibleOn = function (event, known) {
    if (known === null) return event.visibleInFull;
    if (known === "" || event.reported > known) return false;
    return event.exceptions.indexOf(known) >= 0 ? !event.visibleInFull : event.visibleInFull;
  };

  // The day before an ISO date; by its parts, so a day the address names that no calendar has
  // (2024-08-00) still gives a day rather than an invalid Date.
  function dayBefore(date) {
    var parts = date.split("-").map(Number);
    return new Date(Date.UTC(parts[0], parts[1] - 1, parts[2] - 1)).toISOString().slice(0, 10);
  }

  // {knowledge day: [event index...]}: the events made public on each day, gathered once.
  Report.prototype.madePublicOn = function (day) {
    var self = this;
    if (!this.madePublic) {
      this.madePublic = {};
      this.data.events.forEach(function (row, index) { (self.madePublic[row[3]] = self.madePublic[row[3]] || []).push(index); });
    }
    return this.madePublic[day] || [];
  };

  // What day K's knowledge added about the day at `position`, as `timeline learned K-1 K --as-of D`:
  // the events made public on K that occurred by D; the older ones a retraction made public on K
  // withdrew or restored (with that retraction, whatever day it occurred: it acts on every day);
  // and the facts whose value at D differs from what the day before K knew. It needs no data of
  // its own: the events carry their reported days and visibility, and the states come from stateAt
  // (`after`, the state at D known on K, when the caller has it already).
  Report.prototype.learned = function (position, day, after) {
    var self = this, date = this.dates[position];
    var then = this.effectiveKnown(dayBefore(day)), now = this.effectiveKnown(day);
    var how = {};
    this.madePublicOn(day).forEach(function (index) {
      if (self.data.events[index][2] <= date) how[index] = "reported";
    });
    this.madePublicOn(day).forEach(function (index) {
      var changed = false, seen = {};
      for (var member = self.targets[index]; member !== undefined && !seen[member]; member = self.targets[member]) {
        seen[member] = true;
        var event = self.event(member);
        if (event.occurred > date || event.reported >= day) continue; // later, or made public on K itself
        var was = self.visibleOn(event, then), is = self.visibleOn(event, now);
        if (was !== is) { how[member] = is ? "restored" : "withdrawn"; changed = true; }
      }
      if (changed && !(index in how)) how[index] = "reported";
    });
    var before = this.stateAt(position, then);
    if (!after) after = this.stateAt(position, now);
    return {
      day: day, date: date, how: how, before: before, after: after, changes: changedPaths(this, before, after),
      // A report cut with --from embeds no event made public before its first day (only the facts
      // they changed); a whole log's report has none to leave out.
      partial: day < this.data.range.from && this.data.bounds.first < this.data.range.from
    };
  };

  // The paths whose fact differs between two states, by path.
  function changedPaths(report, before, after) {
    var paths = Object.keys(before).concat(Object.keys(after).filter(function (p) { return !(p in before); }));
    return paths.filter(function (p) { return before[p] !== after[p]; })
      .sort(function (a, b) { return report.data.paths[a] < report.data.paths[b] ? -1 : 1; });
  }

  // For tests and for readers with a console: {events: {id: how}, changes: {path: [before, after]}}
  // that day K's knowledge added about a date (describe() texts; null where the fact is missing).
  Report.prototype.describeLearned = function (date, day) {
    var self = this, found = this.learned(this.positionOf(date), day), events = {}, changes = {};
    Object.keys(found.how).forEach(function (index) { events[self.data.events[index][0]] = found.how[index]; });
    found.changes.forEach(function (path) {
      changes[self.data.paths[path]] = [path in found.before ? self.data.facts[found.before[path]][1] : null, path in found.after ? self.data.facts[found.after[path]][1] : null];
    });
    return { events: events, changes: changes };
  };

  // For tests and for readers with a console: {path: describe()} on a date, known on a date.
  Report.prototype.describeState = function (date, known) {
    var self = this, state = this.stateAt(this.positionOf(date), this.effectiveKnown(known));
    var out = {};
    Object.keys(state).forEach(function (path) { out[self.data.paths[path]] = self.data.facts[state[path]][1]; });
    return out;
  };

  // -- the view -----------------------------------------------------------------------------------

  function View(report) {
    this.report = report;
    this.slider = document.getElementById("day-slider");
    this.knownSelect = document.getElementById("known-on");
    this.position = report.days.length - 1;
    this.known = null;
    this.chartsKnown = undefined;
  }

  View.prototype.setup = function () {
    var self = this, report = this.report;
    this.slider.min = "1";
    this.slider.max = String(report.days.length - 1);
    append(this.knownSelect, h("option", null, "everything known (to " + report.lastReported + ")"));
    this.knownSelect.firstChild.value = "";
    report.knowledgeDays.slice(0, -1).forEach(function (day) {
      var option = h("option", null, day);
      option.value = day;
      self.knownSelect.appendChild(option);
    });
    this.slider.addEventListener("input", function () { self.go(Number(self.slider.value), self.known); });
    this.knownSelect.addEventListener("change", function () { self.go(self.position, self.knownSelect.value || null); });
    document.getElementById("prev-day").addEventListener("click", function () { self.step(-1); });
    document.getElementById("next-day").addEventListener("click", function () { self.step(1); });
    document.addEventListener("keydown", function (event) {
      var tag = event.target && event.target.tagName;
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return; // they handle their own keys
      if (event.key === "ArrowLeft") { self.step(-1); event.preventDefault(); }
      if (event.key === "ArrowRight") { self.step(1); event.preventDefault(); }
      if (event.key === "Home") { self.go(1, self.known); event.preventDefault(); }
      if (event.key === "End") { self.go(report.days.length - 1, self.known); event.preventDefault(); }
    });
    window.addEventListener("hashchange", function () { self.fromHash(); });
    this.fromHash();
  };

  View.prototype.step = function (by) {
    this.go(Math.max(1, Math.min(this.report.days.length - 1, this.position + by)), this.known);
  };

  // `#2024-08-16` or `#2024-08-16&known-on=2024-08-13`
  View.prototype.fromHash = function () {
    var hash = decodeURIComponent(window.location.hash.replace(/^#/, ""));
    var day = /^(\d{4}-\d{2}-\d{2})/.exec(hash);
    var known = /known-on=(\d{4}-\d{2}-\d{2})/.exec(hash);
    var position = this.position;
    if (day) {
      position = this.report.positionOf(day[1]);
      if (position < 1) position = 1;
    }
    this.go(position, known ? known[1] : null, true);
  };

  View.prototype.go = function (position, known, fromHash) {
    this.position = position;
    this.known = known || null;
    this.slider.value = String(position);
    this.render();
    if (!fromHash) {
      var hash = "#" + this.report.dates[position] + (this.known ? "&known-on=" + this.known : "");
      try { history.replaceState(null, "", hash); } catch (error) { /* a sandboxed page: keep going */ }
    }
  };

  View.prototype.render = function () {
    var report = this.report, day = report.days[this.position];
    var known = report.effectiveKnown(this.known);
    var state = report.stateAt(this.position, known);
    var before = report.stateAt(this.position - 1, known);
    var label = clear(document.getElementById("day-label"));
    append(label, [day[0], day[1] !== null ? " " : null, day[1] !== null ? h("span", "day-number", "day " + day[1]) : null]);
    this.knownSelect.value = known === null ? "" : (this.knownSelect.querySelector('option[value="' + known + '"]') ? known : "");
    var note = "";
    if (known === "") note = "nothing had been reported by " + this.known;
    else if (known !== null && known !== this.known) note = "known on " + this.known + " = what was known on " + known;
    if (known !== null && known !== "" && day[0] > known) note += (note ? "; " : "") + "nothing about " + day[0] + " was known on " + known + ": showing " + known;
    document.getElementById("known-note").textContent = note;
    this.renderTerritory(state);
    this.renderSettlements(state);
    this.renderMap(state);
    this.renderChanges(before, state, known);
    this.renderEvents(known);
    this.renderLearned(known === null ? report.lastReported : this.known, state);
    this.renderFacts(state);
    this.renderCharts(known);
    document.body.setAttribute("data-day", day[0]);
    document.body.setAttribute("data-known-on", known === null ? "" : known);
  };

  View.prototype.factsOf = function (state, projector) {
    var report = this.report;
    return Object.keys(state)
      .map(function (path) { return report.fact(state[path]); })
      .filter(function (fact) { return fact.path.split(".")[0] === projector; })
      .sort(function (a, b) { return a.path < b.path ? -1 : a.path > b.path ? 1 : 0; });
  };

  View.prototype.cite = function (on, sourceIndex, unverified, eventIndex) {
    var report = this.report;
    var parts = [h("span", "cite", " (" + report.data.strings[sourceIndex] + ", " + on + ")")];
    if (unverified) parts.push(badge("unverified", "unverified"));
    if (eventIndex !== null && eventIndex !== undefined) parts.push(h("span", "ids", " " + report.data.events[eventIndex][0]));
    return parts;
  };

  View.prototype.renderTerritory = function (state) {
    var self = this, target = body("territory");
    var facts = this.factsOf(state, "territory");
    if (!facts.length) { append(target, h("p", "empty", "No territorial claim yet.")); return; }
    var rows = facts.filter(function (fact) { return fact.panel; });
    var table = h("table", null, h("tr", null, [h("th", null, "Claimant"), h("th", null, "Area"), h("th", null, "Settlements"), h("th", null, "Gains since")]));
    rows.forEach(function (fact) {
      var row = fact.panel;
      function figure(cells) {
        if (!cells || !cells.length) return h("td", "muted", "–");
        var parts = [];
        cells.forEach(function (cell, index) {
          if (index) parts.push(h("br"));
          parts = parts.concat([h("strong", null, cell[0])], self.cite(cell[1], cell[2], cell[4], null));
        });
        return h("td", null, parts);
      }
      table.appendChild(h("tr", null, [h("td", null, row[0]), figure(row[1]), figure(row[2]), h("td", null, row[3] || "–")]));
    });
    if (rows.length) append(target, table);
    facts.filter(function (fact) { return !fact.panel && !controlOf(self.report.data, fact); }).forEach(function (fact) {
      append(target, h("p", "spread", [h("strong", null, "Spread: "), fact.text]));
    });
    this.renderMappedAreas(target, facts);
  };

  View.prototype.renderSettlements = function (state) {
    var self = this, target = body("settlements");
    var facts = this.factsOf(state, "settlements");
    if (!facts.length) { append(target, h("p", "empty", "No settlement claimed yet.")); return; }
    var table = h("table", null, h("tr", null, [h("th", null, "Settlement"), h("th", null, "Status"), h("th", null, "Claims")]));
    facts.forEach(function (fact) {
      var row = fact.panel;
      var name = fact.place || fact.path.split(".").slice(1).join(".");
      var tr = h("tr", "settlement");
      tr.setAttribute("data-settlement", name);
      if (!row) {
        append(tr, [h("td", null, name), h("td", null, fact.unverified ? badge("unverified", "unverified") : ""), h("td", null, fact.text)]);
      } else {
        var status = row[2] ? [badge("contested", "CONTESTED")] : [row[0] + (row[1] ? " by " + row[1] : "")];
        var claims = h("ul", "claims");
        row[4].forEach(function (claim) {
          var li = h("li", "claim", [h("strong", null, claim[0] + ": "), claim[1] + (claim[2] ? " by " + claim[2] : "")].concat(self.cite(claim[3], claim[4], claim[6], null)));
          li.setAttribute("data-claimant", claim[0]);
          claims.appendChild(li);
        });
        append(tr, [h("td", null, name), h("td", "status", status), h("td", null, claims)]);
      }
      table.appendChild(tr);
    });
    append(target, table);
  };

  // -- map ----------------------------------------------------------------------------------------

  // Drawn by map.js: the map, its base geography and the mapped areas.
  var controlOf = TimelineMap.install(View, { h: h, s: s, append: append, tip: tip, body: body }).controlOf;

  // -- changes, events, facts -------------------------------------------------------------------

  function ids(list) { return list.slice().sort(); }

  View.prototype.eventLine = function (event) {
    var li = h("li", "event", [
      h("span", "muted", (event.worded || event.occurred) + " "),
      h("strong", null, event.kind + " "),
      event.text,
      h("span", "cite", " (" + event.source + (event.reported !== event.occurred ? ", reported " + event.reported : "") + ")"),
      event.unverified ? badge("unverified", "unverified") : null,
      h("span", "ids", " " + event.id)
    ]);
    li.setAttribute("data-event-id", event.id);
    if (event.note) li.appendChild(h("div", "cite", event.note));
    return li;
  };

  // One fact's change between two states, with the events that made it (`brief`: by id only, for a
  // panel that lists those events itself).
  View.prototype.changeBlock = function (path, before, after, brief) {
    var self = this, report = this.report;
    var old = path in before ? report.fact(before[path]) : null;
    var now = path in after ? report.fact(after[path]) : null;
    // The events that made the change: those the new fact rests on that the old one did not.
    var causes;
    if (!now) causes = old.events;
    else {
      causes = now.events.filter(function (e) { return !old || old.events.indexOf(e) < 0; });
      if (!causes.length) causes = now.events;
    }
    var block = h("div", "change", [
      h("div", null, [now ? (old ? badge("new", "changed") : badge("new", "new")) : badge("gone", "gone"), " ", h("strong", null, report.data.paths[path] + ": "), now ? now.text : "(gone)", now && now.unverified ? badge("unverified", "unverified") : null]),
      old && now ? h("div", "was", "was: " + old.text) : null
    ]);
    block.setAttribute("data-path", report.data.paths[path]);
    if (brief) {
      append(block, h("div", "cite", ["because: ", h("span", "ids", ids(causes).map(function (e) { return report.data.events[e][0]; }).join(", "))]));
      return block;
    }
    var list = h("ul", null);
    ids(causes).forEach(function (index) { list.appendChild(self.eventLine(report.event(index))); });
    append(block, [h("div", "cite", "because:"), list]);
    return block;
  };

  View.prototype.renderChanges = function (before, after, known) {
    var self = this, report = this.report, target = body("changes");
    var changes = changedPaths(report, before, after);
    if (!changes.length) {
      append(target, h("p", "empty", known !== null && known !== "" && report.days[self.position][0] > known ? "Nothing about this day had been reported by " + known + "." : "No fact changed on this day."));
      return;
    }
    changes.forEach(function (path) { target.appendChild(self.changeBlock(path, before, after)); });
  };

  var HOW_ORDER = { reported: 0, withdrawn: 1, restored: 2 };

  // What the known-on day (with everything known: the last day reports were made public) added
  // about the slider's day, beside the "changes since the day before" of the valid day.
  View.prototype.renderLearned = function (day, state) {
    var self = this, report = this.report, target = body("learned");
    var found = report.learned(this.position, day, state);
    var section = document.getElementById("learned");
    section.setAttribute("data-known-on", day);
    var everything = report.effectiveKnown(this.known) === null;
    var lead = "Known on " + day + (everything ? " (the last day reports were made public)" : "") + " but not on " + dayBefore(day);
    append(target, h("p", "muted", lead + ", about " + found.date + ":"));
    var events = Object.keys(found.how).map(Number).sort(function (a, b) {
      var x = report.event(a), y = report.event(b);
      return HOW_ORDER[found.how[a]] - HOW_ORDER[found.how[b]] || (x.occurred < y.occurred ? -1 : x.occurred > y.occurred ? 1 : x.id < y.id ? -1 : 1);
    });
    if (found.partial) {
      append(target, h("p", "empty", "The events made public on " + day + " are before this report's first day (" + report.data.range.from + "); the facts they changed are below."));
    } else if (events.length) {
      append(target, h("h3", null, "Events"));
      var list = h("ul", "learned-events");
      events.forEach(function (index) {
        var li = self.eventLine(report.event(index));
        li.insertBefore(document.createTextNode(" "), li.firstChild);
        li.insertBefore(badge(found.how[index], found.how[index]), li.firstChild);
        li.setAttribute("data-how", found.how[index]);
        list.appendChild(li);
      });
      append(target, list);
    }
    if (found.changes.length) append(target, h("h3", null, "Facts at " + found.date));
    found.changes.forEach(function (path) { target.appendChild(self.changeBlock(path, found.before, found.after, true)); });
    if (!events.length && !found.changes.length && !found.partial) {
      append(target, h("p", "empty", "Nothing about " + found.date + " was made public on " + day + "."));
    }
  };

  View.prototype.renderEvents = function (known) {
    var self = this, report = this.report, target = body("events");
    var events = report.days[this.position][2].map(report.event).filter(function (event) { return report.visibleOn(event, known); });
    if (!events.length) { append(target, h("p", "empty", "No event of this day" + (known !== null ? " had been reported by then." : "."))); return; }
    var list = h("ul", null);
    events.forEach(function (event) { list.appendChild(self.eventLine(event)); });
    append(target, list);
  };

  View.prototype.renderFacts = function (state) {
    var self = this, report = this.report, target = body("facts");
    report.data.projectors.forEach(function (projector) {
      var facts = self.factsOf(state, projector);
      var block = h("div", "projector");
      block.setAttribute("data-projector", projector);
      append(block, h("h3", null, projector));
      if (!facts.length) append(block, h("p", "empty", "(nothing yet)"));
      var list = h("ul", null);
      facts.forEach(function (fact) {
        var li = h("li", "fact", [fact.text, fact.unverified ? badge("unverified", "unverified") : null]);
        li.setAttribute("data-path", fact.path);
        var why = h("details", null, [h("summary", null, "from " + fact.events.length + " event" + (fact.events.length === 1 ? "" : "s")), h("div", "ids", fact.events.map(function (e) { return report.data.events[e][0]; }).join(", "))]);
        li.appendChild(why);
        list.appendChild(li);
      });
      if (facts.length) block.appendChild(list);
      target.appendChild(block);
    });
  };

  // -- charts -------------------------------------------------------------------------------------

  function niceStep(span) {
    var raw = span / 5, magnitude = Math.pow(10, Math.floor(Math.log10(raw || 1)));
    var ratio = raw / magnitude;
    return (ratio > 5 ? 10 : ratio > 2 ? 5 : ratio > 1 ? 2 : 1) * magnitude;
  }
  function dayNumber(date) { return Date.parse(date + "T00:00:00Z") / 86400000; }
  var QUALIFIER = { exact: "", approx: "~", at_least: "≥", more_than: ">", at_most: "≤" };
  var WORDING = { exact: "", approx: "about ", at_least: "at least ", more_than: "more than ", at_most: "up to " };

  View.prototype.renderCharts = function (known) {
    var report = this.report, self = this;
    if (this.chartsKnown === known) { this.moveChartMarkers(); return; }
    this.chartsKnown = known;
    var target = body("charts");
    var first = dayNumber(report.data.range.from), last = dayNumber(report.data.range.to);
    Object.keys(report.data.series).forEach(function (name) {
      var chart = report.data.series[name];
      var points = chart.points.filter(function (point) { return report.visibleOn(report.event(point[0]), known); });
      var block = h("div", "chart");
      block.setAttribute("data-chart", name);
      append(block, h("h3", null, chart.title + " (" + chart.unit + ")"));
      if (!points.length) { append(block, h("p", "empty", "No figure reported" + (known !== null ? " by then." : "."))); target.appendChild(block); return; }
      var width = 900, height = 240, left = 70, right = 14, top = 12, bottom = 26;
      var top_value = Math.max.apply(null, points.map(function (p) { return p[5] !== null ? p[5] : p[2]; })) * 1.1 || 1;
      var x = function (date) { return left + (last === first ? 0.5 : (dayNumber(date) - first) / (last - first)) * (width - left - right); };
      var y = function (value) { return top + (1 - value / top_value) * (height - top - bottom); };
      var svg = s("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": chart.title });
      var step = niceStep(top_value);
      for (var v = 0; v <= top_value; v += step) {
        svg.appendChild(s("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), stroke: "#e3e7ec" }));
        svg.appendChild(s("text", { x: left - 6, y: y(v) + 4, "font-size": 11, "text-anchor": "end", fill: "#5b6675" }, v.toLocaleString("en")));
      }
      var ticks = Math.min(8, Math.max(1, last - first));
      for (var t = 0; t <= ticks; t++) {
        var date = new Date((first + (last - first) * t / ticks) * 86400000).toISOString().slice(0, 10);
        svg.appendChild(s("text", { x: x(date), y: height - 8, "font-size": 11, "text-anchor": "middle", fill: "#5b6675" }, date.slice(5)));
      }
      var marker = s("line", { "class": "day-marker", y1: top, y2: height - bottom, stroke: "#17202c", "stroke-dasharray": "4 3" });
      svg.appendChild(marker);
      var groups = {};
      points.forEach(function (point) {
        var event = report.event(point[0]), color = report.color(point[1]);
        (groups[point[1]] = groups[point[1]] || []).push(point);
        var g = s("g", { "class": "point" + (event.unverified ? " unverified" : ""), "data-event-id": event.id });
        var px = x(event.occurred);
        if (point[4] !== null && point[5] !== null) g.appendChild(s("line", { x1: px, x2: px, y1: y(point[4]), y2: y(point[5]), stroke: color, "stroke-width": 2, opacity: 0.6 }));
        g.appendChild(s("circle", { cx: px, cy: y(point[2]), r: 5, fill: event.unverified ? "#fff" : color, stroke: color, "stroke-width": 2 }));
        if (QUALIFIER[point[3]]) g.appendChild(s("text", { x: px + 7, y: y(point[2]) - 5, "font-size": 11, fill: color }, QUALIFIER[point[3]]));
        var figure = point[4] !== null ? point[4].toLocaleString("en") + "–" + point[5].toLocaleString("en") : point[2].toLocaleString("en");
        svg.appendChild(tip(g, point[1] + ": " + WORDING[point[3]] + figure + " " + chart.unit + " (" + point[6] + "; " + event.source + ", " + event.occurred + (event.unverified ? ", unverified" : "") + ")"));
      });
      Object.keys(groups).forEach(function (group) {
        var line = groups[group].slice().sort(function (a, b) { return report.data.events[a[0]][2] < report.data.events[b[0]][2] ? -1 : 1; });
        if (line.length < 2 || line.length > 400) return; // a line through hundreds of claims hides them
        svg.insertBefore(s("polyline", { points: line.map(function (p) { return x(report.data.events[p[0]][2]) + "," + y(p[2]); }).join(" "), fill: "none", stroke: report.color(group), "stroke-width": 1, opacity: 0.45 }), marker);
      });
      block.appendChild(svg);
      var legend = h("div", "legend");
      Object.keys(groups).sort().forEach(function (group) {
        var swatch = h("span", "swatch", null);
        swatch.style.background = report.color(group);
        append(legend, h("span", null, [swatch, group]));
      });
      append(legend, h("span", null, "hollow: unverified; ~ about, ≥ at least, > more than, ≤ up to; bars: a stated range"));
      block.appendChild(legend);
      target.appendChild(block);
      block.xOf = x;
    });
    this.moveChartMarkers();
  };

  View.prototype.moveChartMarkers = function () {
    var date = this.report.days[this.position][0];
    Array.prototype.forEach.call(document.querySelectorAll("#charts .chart"), function (block) {
      var marker = block.querySelector(".day-marker");
      if (marker && block.xOf) { marker.setAttribute("x1", block.xOf(date)); marker.setAttribute("x2", block.xOf(date)); }
    });
  };

  // -- start --------------------------------------------------------------------------------------

  load().then(function (data) {
    var report = new Report(data);
    var view = new View(report);
    window.timelineReport = report;
    view.setup();
    document.body.setAttribute("data-ready", "1");
  }).catch(function (error) {
    var message = h("p", "empty", "This report could not be read: " + error);
    document.querySelector("main").appendChild(message);
    document.body.setAttribute("data-ready", "error");
  });
})();
