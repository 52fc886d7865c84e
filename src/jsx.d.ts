// hono/jsx components return JSX.Element; make the namespace global as React's types do.
declare global {
  namespace JSX {
    type Element = import("hono/jsx").JSX.Element;
  }
}
export {};
