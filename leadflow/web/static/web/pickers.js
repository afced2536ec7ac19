// Pickers (#25): the region cascader (省 → 市 → 区 from the bundled GB/T 2260 table) over a
// plain text input, and selects that filter their options as one types. Without this
// script both stay what they are: a text box and a select.
(function () {
  const SKIP = new Set(["市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"]);

  function select(label, items, chosen) {
    const element = document.createElement("select");
    element.setAttribute("aria-label", label);
    element.append(new Option("—", ""));
    for (const item of items) element.append(new Option(item.name, item.code, false, item === chosen));
    return element;
  }

  // The deepest path of the table whose names the text starts with.
  function find(table, text) {
    const path = [];
    let level = table;
    let rest = text;
    while (level && rest) {
      const hit = level.find((item) => rest.startsWith(item.name))
        || level.find((item) => SKIP.has(item.name) && (item.children || []).some((c) => rest.startsWith(c.name)));
      if (!hit) break;
      path.push(hit);
      if (!SKIP.has(hit.name)) rest = rest.slice(hit.name.length);
      level = hit.children;
    }
    return path;
  }

  async function cascade(input) {
    const table = await (await fetch(input.dataset.region)).json();
    const box = document.createElement("span");
    box.className = "cascader";
    input.after(box);
    input.type = "hidden";
    let path = find(table, input.value.trim());
    const labels = ["省", "市", "区县"];
    const draw = () => {
      box.replaceChildren();
      let level = table;
      for (let depth = 0; depth < 3 && level; depth++) {
        const chosen = path[depth];
        const element = select(labels[depth], level, chosen);
        const options = level;
        element.addEventListener("change", () => {
          const picked = options.find((item) => item.code === element.value);
          path = path.slice(0, depth).concat(picked ? [picked] : []);
          input.value = path.filter((item) => !SKIP.has(item.name)).map((item) => item.name).join("");
          draw();
        });
        box.append(element);
        if (!chosen) break;
        level = chosen.children;
      }
    };
    draw();
  }

  function searchable(element) {
    const filter = document.createElement("input");
    filter.type = "search";
    filter.className = "select-filter";
    filter.placeholder = "🔍";
    filter.setAttribute("aria-label", element.getAttribute("aria-label") || element.name);
    element.before(filter);
    filter.addEventListener("input", () => {
      const words = filter.value.trim().toLowerCase();
      let first = null;
      for (const option of element.options) {
        const shown = !words || option.selected || option.text.toLowerCase().includes(words);
        option.hidden = !shown;
        if (shown && !first && option.value) first = option;
      }
      if (first && words && !element.value) element.value = first.value;
    });
  }

  document.querySelectorAll("input[data-region]").forEach((input) => cascade(input));
  document.querySelectorAll("select[data-search]").forEach(searchable);
})();
