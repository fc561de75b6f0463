// The main menu folds behind its button on narrow screens (the CSS decides when); without
// JavaScript the button stays hidden and the menu open.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector(".menu-toggle");
  const menu = document.getElementById("mainnav");
  if (!button || !menu) return;
  const narrow = window.matchMedia("(max-width: 760px)");
  const show = (open) => {
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("closed", !open);
  };
  button.hidden = false;
  show(!narrow.matches);
  narrow.addEventListener("change", (event) => show(!event.matches));
  button.addEventListener("click", () => show(button.getAttribute("aria-expanded") !== "true"));
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && narrow.matches) {
      show(false);
      button.focus();
    }
  });
});

// Each data table gets a scroll box of its own, focusable (so a keyboard can scroll it) when its
// content is wider than the screen.
document.addEventListener("DOMContentLoaded", () => {
  const boxes = [];
  for (const table of document.querySelectorAll("main table")) {
    if (table.parentElement.classList.contains("table-scroll")) continue;
    const box = document.createElement("div");
    box.className = "table-scroll";
    table.before(box);
    box.append(table);
    boxes.push(box);
  }
  const mark = () => {
    for (const box of boxes) {
      if (box.scrollWidth > box.clientWidth) {
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        const name = tableName(box.firstElementChild);
        if (name) box.setAttribute("aria-label", name);
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  };
  mark();
  window.addEventListener("resize", mark);
});

function tableName(table) {
  if (table.caption) return table.caption.textContent.trim();
  let node = table.parentElement;
  while (node && node !== document.body) {
    let previous = node.previousElementSibling;
    while (previous) {
      if (/^H[1-6]$/.test(previous.tagName)) return previous.textContent.trim();
      previous = previous.previousElementSibling;
    }
    node = node.parentElement;
  }
  return document.title;
}
