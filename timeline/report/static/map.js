// The report's map: places over a graticule, the base geography behind them (borders, oblasts,
// from the page's data), and each claimant's mapped area for the day. Installed into the page's
// View by report.js, which passes the DOM helpers it shares.
var TimelineMap = (function () {
  "use strict";

  function install(View, dom) {
    var h = dom.h, s = dom.s, append = dom.append, tip = dom.tip, body = dom.body;

    var STATUS_COLORS = { controlled: null, contested: "#c0262d", fighting: "#d97a00", raided: "#8a4fbf", withdrawn: "#7f7f7f" };

    View.prototype.mapFrame = function () {
      if (this.frame) return this.frame;
      var lats = [], lons = [];
      this.report.data.reference_places.forEach(function (place) { lats.push(place[3]); lons.push(place[4]); });
      this.report.data.facts.forEach(function (row) { if (row[5]) { lats.push(row[5][0]); lons.push(row[5][1]); } });
      controlCorners(this.report.data).forEach(function (corner) { lats.push(corner[0]); lons.push(corner[1]); });
      if (!lats.length) { lats = [0]; lons = [0]; }
      var pad = 0.25;
      var south = Math.min.apply(null, lats) - pad, north = Math.max.apply(null, lats) + pad;
      var west = Math.min.apply(null, lons) - pad, east = Math.max.apply(null, lons) + pad;
      var squash = Math.cos(((north + south) / 2) * Math.PI / 180);
      var width = 760, scale = width / Math.max((east - west) * squash, 0.01);
      var height = Math.max(240, Math.min(620, (north - south) * scale));
      scale = Math.min(scale, height / Math.max(north - south, 0.01));
      this.frame = {
        width: width, height: height, south: south, north: north, west: west, east: east,
        x: function (lon) { return 20 + (lon - west) * squash * scale; },
        y: function (lat) { return 10 + (north - lat) * scale; }
      };
      return this.frame;
    };

    View.prototype.renderMap = function (state) {
      var self = this, report = this.report, frame = this.mapFrame(), target = body("map");
      var svg = s("svg", { viewBox: "0 0 " + (frame.width + 40) + " " + (frame.height + 30), role: "img", "aria-label": "map" });
      var step = (frame.north - frame.south) > 4 ? 1 : 0.5;
      for (var lat = Math.ceil(frame.south / step) * step; lat <= frame.north; lat += step) {
        svg.appendChild(s("line", { x1: frame.x(frame.west), x2: frame.x(frame.east), y1: frame.y(lat), y2: frame.y(lat), stroke: "#e3e7ec" }));
        svg.appendChild(s("text", { x: 2, y: frame.y(lat) - 2, "font-size": 10, fill: "#98a2ae" }, lat.toFixed(1) + "°N"));
      }
      for (var lon = Math.ceil(frame.west / step) * step; lon <= frame.east; lon += step) {
        svg.appendChild(s("line", { x1: frame.x(lon), x2: frame.x(lon), y1: frame.y(frame.north), y2: frame.y(frame.south), stroke: "#e3e7ec" }));
        svg.appendChild(s("text", { x: frame.x(lon) + 2, y: frame.y(frame.south) + 12, "font-size": 10, fill: "#98a2ae" }, lon.toFixed(1) + "°E"));
      }
      this.drawBaseMap(svg, frame);
      var control = this.drawControl(svg, state, frame);
      report.data.reference_places.forEach(function (place) {
        var g = s("g", { "class": "reference" });
        g.appendChild(s("circle", { cx: frame.x(place[4]), cy: frame.y(place[3]), r: 2.5, fill: "#b0b8c3" }));
        g.appendChild(s("text", { x: frame.x(place[4]) + 5, y: frame.y(place[3]) + 12, "font-size": 10, fill: "#98a2ae" }, place[0]));
        svg.appendChild(tip(g, place[0] + " (" + place[1] + ", " + place[2] + ")"));
      });
      var unlocated = [];
      Object.keys(state).map(function (path) { return report.fact(state[path]); })
        .filter(function (fact) { return fact.place !== null; })
        .sort(function (a, b) { return a.path < b.path ? -1 : 1; })
        .forEach(function (fact) {
          if (!fact.where) { unlocated.push(fact); return; }
          var x = frame.x(fact.where[1]), y = frame.y(fact.where[0]);
          var projector = fact.path.split(".")[0];
          var g = s("g", { "class": "marker " + projector, "data-place": fact.place });
          if (projector === "settlements" && fact.panel) {
            var contested = !!fact.panel[2];
            var color = contested ? STATUS_COLORS.contested : (fact.panel[0] === "controlled" && fact.panel[1] ? report.color(fact.panel[1]) : STATUS_COLORS[fact.panel[0]] || "#555");
            if (contested) {
              g.setAttribute("data-contested", "1");
              g.appendChild(s("circle", { cx: x, cy: y, r: 12, fill: "none", stroke: color, "stroke-width": 2, "stroke-dasharray": "3 2" }));
              g.appendChild(s("rect", { x: x - 5, y: y - 5, width: 10, height: 10, fill: color, transform: "rotate(45 " + x + " " + y + ")" }));
            } else {
              g.appendChild(s("circle", { cx: x, cy: y, r: 6, fill: fact.unverified ? "#fff" : color, stroke: color, "stroke-width": 2 }));
            }
          } else {
            g.appendChild(s("path", { d: "M" + (x - 4) + " " + (y - 4) + "L" + (x + 4) + " " + (y + 4) + "M" + (x + 4) + " " + (y - 4) + "L" + (x - 4) + " " + (y + 4), stroke: "#333", "stroke-width": 2 }));
          }
          g.appendChild(s("text", { x: x + 9, y: y - 7, "font-size": 12, fill: "#1d2430" }, fact.place));
          svg.appendChild(tip(g, fact.text));
        });
      var side = h("div", "map-side");
      var legend = h("ul", null, [
        h("li", null, [h("span", "swatch", null), "controlled (colour of the controller)"]),
        h("li", null, "◆ in a dashed ring: contested"),
        h("li", null, "hollow: rests on an unverified claim"),
        h("li", null, "orange fighting, purple raided, grey withdrawn; × an incident")
      ]);
      Array.prototype.forEach.call(legend.querySelectorAll(".swatch"), function (swatch) { swatch.style.background = "#1f5fbf"; });
      append(side, [h("strong", null, "Legend"), legend]);
      append(side, control);
      var list = h("ul", "unlocated");
      unlocated.forEach(function (fact) {
        var li = h("li", null, [h("strong", null, fact.place), " – " + fact.text]);
        li.setAttribute("data-place", fact.place);
        list.appendChild(li);
      });
      append(side, [h("p", null, h("strong", null, "No coordinates")), unlocated.length ? list : h("p", "empty", "(none)")]);
      append(target, h("div", "map-wrap", [svg, side]));
      var note = h("p", "cite", "Coordinates: the event's own, else the bundled gazetteer of places (approximate, WGS84). Graticule every " + step + "°. ");
      var geography = report.data.geography;
      if (geography && geography.lines.length) {
        var credit = h("span", "map-credit", geography.credit);
        credit.title = geography.dataset;
        note.appendChild(credit);
      }
      append(target, note);
    };

    // The base geography behind the places: the borders the report embeds (already cut to the
    // map's extent, see basemap.py), in the points' projection, cut at the graticule's frame.
    var BORDER_STYLES = {
      coast: { stroke: "#8fb3d9", "stroke-width": 1 },
      region: { stroke: "#b8c0cb", "stroke-width": 1 },
      country: { stroke: "#3d4654", "stroke-width": 2.2 },
      disputed: { stroke: "#3d4654", "stroke-width": 2, "stroke-dasharray": "6 4" }
    };

    View.prototype.drawBaseMap = function (svg, frame) {
      var geography = this.report.data.geography;
      if (!geography) return;
      // A nested <svg> over the frame clips what it holds to its own viewport; its viewBox is the
      // same rectangle, so the points' coordinates need no change.
      var left = frame.x(frame.west), top = frame.y(frame.north);
      var width = frame.x(frame.east) - left, height = frame.y(frame.south) - top;
      var layer = s("svg", { "class": "base-map", x: left, y: top, width: width, height: height, viewBox: left + " " + top + " " + width + " " + height, fill: "none", "stroke-linejoin": "round", "stroke-linecap": "round" });
      geography.lines.forEach(function (line) {
        var flat = line[2], d = "";
        for (var i = 0; i < flat.length; i += 2) d += (i ? "L" : "M") + frame.x(flat[i]).toFixed(1) + " " + frame.y(flat[i + 1]).toFixed(1);
        var attributes = { "class": "border " + line[0], "data-countries": line[1], d: d };
        var style = BORDER_STYLES[line[0]] || BORDER_STYLES.region;
        Object.keys(style).forEach(function (name) { attributes[name] = style[name]; });
        var what = line[0] === "coast" ? "coast" : line[0] === "region" ? "first-level border" : line[0] === "disputed" ? "disputed border" : "country border";
        layer.appendChild(tip(s("path", attributes), line[1].replace(" | ", " – ") + ": " + what));
      });
      geography.labels.forEach(function (label) {
        var country = label[0] === "country";
        var text = s("text", {
          "class": "area-label " + label[0], x: frame.x(label[2]), y: frame.y(label[3]), "text-anchor": "middle",
          "font-size": country ? 15 : 11, "font-weight": country ? 600 : 400, "font-style": country ? "normal" : "italic",
          "letter-spacing": country ? 3 : 0, fill: country ? "#8d97a5" : "#a3acb8"
        }, country ? label[1].toUpperCase() : label[1]);
        layer.appendChild(text);
      });
      svg.appendChild(layer);
    };

    // -- controlled territory: each claimant's mapped polygon (data under `control_polygons`) ------

    // [claimant, controller, polygon event id, measured km², day, unchanged since] of a fact, or null.
    function controlOf(data, fact) {
      var layer = data.control_polygons;
      return layer && layer.facts[fact.index] ? layer.facts[fact.index] : null;
    }

    // The corners of every polygon's bounding box as [lat, lon], so the map's frame shows them whole.
    function controlCorners(data) {
      var corners = [], layer = data.control_polygons;
      if (!layer) return corners;
      Object.keys(layer.shapes).forEach(function (id) {
        var west = 180, east = -180, south = 90, north = -90;
        layer.shapes[id].forEach(function (polygon) {
          polygon[0].forEach(function (xy) {
            west = Math.min(west, xy[0]); east = Math.max(east, xy[0]);
            south = Math.min(south, xy[1]); north = Math.max(north, xy[1]);
          });
        });
        corners.push([south, west], [north, east]);
      });
      return corners;
    }

    function km2(value) { return Math.round(value).toLocaleString("en-US") + " km²"; }

    function controlLabel(drawn) {
      var since = drawn[5] !== drawn[4] ? "; unchanged since " + drawn[5] : "";
      return drawn[0] + ": " + km2(drawn[3]) + " held by " + drawn[1] + " (measured from the polygon of " + drawn[4] + since + ")";
    }

    // Draws each mapped area of the day's state into `svg` (beneath the places) in its claimant's
    // colour; returns the legend of what it drew (nothing when the state holds no map).
    View.prototype.drawControl = function (svg, state, frame) {
      var report = this.report, layer = report.data.control_polygons;
      if (!layer) return null;
      var drawn = Object.keys(state).map(function (path) { return report.fact(state[path]); })
        .map(function (fact) { return [fact, controlOf(report.data, fact)]; })
        .filter(function (pair) { return pair[1] && layer.shapes[pair[1][2]]; })
        .sort(function (a, b) { return a[0].path < b[0].path ? -1 : 1; });
      if (!drawn.length) return null;
      var legend = h("ul", "control-legend");
      drawn.forEach(function (pair) {
        var fact = pair[0], row = pair[1], color = report.color(row[0]);
        var d = layer.shapes[row[2]].map(function (polygon) {
          return polygon.map(function (ring) {
            return "M" + ring.map(function (xy) { return frame.x(xy[0]).toFixed(1) + " " + frame.y(xy[1]).toFixed(1); }).join("L") + "Z";
          }).join("");
        }).join("");
        var g = s("g", { "class": "control", "data-claimant": row[0], "data-controller": row[1], "data-polygon-event": row[2], "data-area-km2": row[3] });
        g.appendChild(s("path", { d: d, fill: color, "fill-opacity": fact.unverified ? 0.08 : 0.22, "fill-rule": "evenodd", stroke: color, "stroke-width": 1.5 }));
        svg.appendChild(tip(g, controlLabel(row)));
        var swatch = h("span", "swatch square", null);
        swatch.style.background = color;
        var li = h("li", null, [swatch, controlLabel(row)]);
        li.setAttribute("data-claimant", row[0]);
        legend.appendChild(li);
      });
      var note = h("p", "cite", "Areas measured on the WGS84 ellipsoid from each full polygon; drawn simplified.");
      return h("div", "control", [h("strong", null, "Territory mapped"), legend, note]);
    };

    // The mapped areas of the territory panel: one line each, measured, beside the stated figures.
    View.prototype.renderMappedAreas = function (target, facts) {
      var data = this.report.data;
      facts.forEach(function (fact) {
        var row = controlOf(data, fact);
        if (!row) return;
        var p = h("p", "mapped", [h("strong", null, "Mapped: "), fact.text]);
        p.setAttribute("data-claimant", row[0]);
        append(target, p);
      });
    };

    return { controlOf: controlOf };
  }

  return { install: install };
})();
