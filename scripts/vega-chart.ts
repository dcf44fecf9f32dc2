// A real dynamic import: vega and vega-lite are ES modules with top-level await.
const importModule = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<any>;

/** Renders a vega-lite spec to SVG, offline (no browser, no network). */
export async function svgOf(spec: object): Promise<string> {
  const [vega, vegaLite] = await Promise.all([importModule("vega"), importModule("vega-lite")]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: "none" });
  return view.toSVG();
}
