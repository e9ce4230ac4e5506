// Every figure that a cell drew opens full size when clicked: on a narrow screen, or for a
// closer look at a dense one (tests/website/test_figures_and_math.py checks the links).
document.addEventListener("DOMContentLoaded", () => {
  for (const img of document.querySelectorAll(".bd-article .cell_output img")) {
    if (img.closest("a")) continue;
    const link = document.createElement("a");
    link.href = img.getAttribute("src");
    link.title = "Open the figure full size";
    img.replaceWith(link);
    link.appendChild(img);
  }
});
