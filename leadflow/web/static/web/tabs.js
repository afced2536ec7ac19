// Tabs on a detail page (#25): one part shown at a time, chosen by the link's hash or
// the page's own choice (a refused form opens on its tab). Without this script every
// part shows, one under the other.
(function () {
  const bar = document.querySelector("[data-tabs]");
  if (!bar) return;
  const links = [...bar.querySelectorAll("[data-tab]")];
  const panels = links
    .map((link) => document.getElementById(link.dataset.tab))
    .filter(Boolean);
  const show = (name) => {
    if (!panels.some((panel) => panel.id === name)) name = panels[0].id;
    panels.forEach((panel) => { panel.hidden = panel.id !== name; });
    links.forEach((link) => link.classList.toggle("active", link.dataset.tab === name));
  };
  links.forEach((link) => link.addEventListener("click", (event) => {
    event.preventDefault();
    show(link.dataset.tab);
    history.replaceState(null, "", `?tab=${link.dataset.tab}#${link.dataset.tab}`);
  }));
  show(location.hash.slice(1) || bar.dataset.tabs);
})();
