// Keyboard and scrolling behaviour of Components/TicketList.razor: one tab stop for the list
// (roving tabindex over the rows' links), arrows/Home/End to move, and the next page requested
// when the end of the list scrolls into view.
export function attach(table, end, list) {
  const links = () => Array.from(table.querySelectorAll("a.ticket-link"));
  const focusAt = (index) => {
    const all = links();
    if (all.length === 0) return;
    const target = all[Math.max(0, Math.min(index, all.length - 1))];
    all.forEach((a) => a.setAttribute("tabindex", a === target ? "0" : "-1"));
    target.focus();
    target.scrollIntoView({ block: "nearest" });
  };
  const onKeyDown = (event) => {
    const all = links();
    const index = all.indexOf(document.activeElement);
    if (index < 0) return;
    const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: all.length - 1, PageDown: index + 10, PageUp: index - 10 };
    if (event.key in moves) {
      event.preventDefault();
      focusAt(moves[event.key]);
      if (event.key === "ArrowDown" && index === all.length - 1) list.invokeMethodAsync("LoadMoreAsync");
    }
  };
  const onFocusIn = (event) => {
    if (event.target.matches("a.ticket-link")) {
      links().forEach((a) => a.setAttribute("tabindex", a === event.target ? "0" : "-1"));
    }
  };
  table.addEventListener("keydown", onKeyDown);
  table.addEventListener("focusin", onFocusIn);
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) list.invokeMethodAsync("LoadMoreAsync");
  }, { rootMargin: "200px" });
  observer.observe(end);
  return {
    detach() {
      observer.disconnect();
      table.removeEventListener("keydown", onKeyDown);
      table.removeEventListener("focusin", onFocusIn);
    },
  };
}
