/* The map: base tiles from the configured URL and one GeoJSON layer per ticked box.
   The page works without this script; the list below the map shows the same features. */
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || !window.L) { return; }
  var map = L.map(element).setView([35.73, 137.93], 12);
  L.tileLayer(element.dataset.tiles, { attribution: element.dataset.attribution, maxZoom: 18 }).addTo(map);
  var overlays = {};
  var bounds = L.latLngBounds([]);

  function popup(feature) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = feature.properties.name || "";
    box.appendChild(title);
    if (feature.properties.address) {
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(feature.properties.address));
    }
    var link = document.createElement("a");
    link.href = feature.properties.url;
    link.textContent = element.dataset.details;
    box.appendChild(document.createElement("br"));
    box.appendChild(link);
    return box;
  }

  function load(box) {
    var colour = box.dataset.colour;
    fetch(box.dataset.feed, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          style: function () { return { color: colour, weight: 2, fillOpacity: 0.15 }; },
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, { radius: 7, color: colour, fillOpacity: 0.8 });
          },
          onEachFeature: function (feature, shown) { shown.bindPopup(popup(feature)); }
        });
        overlays[box.value] = layer;
        if (box.checked) { layer.addTo(map); }
        if (layer.getBounds().isValid()) { bounds.extend(layer.getBounds()); map.fitBounds(bounds); }
      });
  }

  document.querySelectorAll("input[name=layer]").forEach(function (box) {
    load(box);
    box.addEventListener("change", function () {
      var layer = overlays[box.value];
      if (!layer) { return; }
      if (box.checked) { layer.addTo(map); } else { map.removeLayer(layer); }
    });
  });
})();
