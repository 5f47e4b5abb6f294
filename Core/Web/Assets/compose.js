// The compose page's part counter: asks the gateway (the codec that will send the text) how many
// SMS the text takes, as one types. Without this script the counter shows the figures of the last
// time the form was sent.
(function () {
  var text = document.getElementById("text");
  var unicode = document.getElementById("unicode");
  var counter = document.getElementById("counter");
  if (!text || !counter) return;
  var url = counter.getAttribute("data-parts-url");
  var timer = null;
  function update() {
    var query = "?text=" + encodeURIComponent(text.value) + (unicode && unicode.checked ? "&unicode=1" : "");
    fetch(url + query, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (figures) {
        if (!figures) return;
        document.getElementById("characters").textContent = figures.characters;
        document.getElementById("parts").textContent = figures.parts;
        document.getElementById("alphabet").textContent = figures.alphabet;
      })
      .catch(function () {});
  }
  function later() { clearTimeout(timer); timer = setTimeout(update, 150); }
  text.addEventListener("input", later);
  if (unicode) unicode.addEventListener("change", update);
})();
