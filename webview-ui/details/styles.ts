/**
 * Styles of the Version Details view, on top of the shared webview.css (adopted by script, which
 * the webviews' CSP allows: no inline <style>). Compact for a side bar; theme colours only.
 */
export const DETAILS_CSS = `
body { padding: 0 12px 12px; }
#app { position: relative; padding-top: 6px; }
.progress { position: fixed; top: 0; left: 0; right: 0; height: 2px; overflow: hidden; z-index: 10; pointer-events: none; }
.progress[hidden] { display: none; }
.progress-slider { position: absolute; height: 2px; width: 30%; background: var(--vscode-progressBar-background); animation: mv-slide 1.2s linear infinite; }
@keyframes mv-slide { from { left: -30%; } to { left: 100%; } }
body.busy .record, body.busy .changes { opacity: .85; transition: opacity .2s ease .3s; }
.head { display: flex; align-items: baseline; flex-wrap: wrap; gap: 2px 8px; margin: 4px 0 2px; }
.head h1 { font-size: 1.35em; margin: 0; font-weight: 600; display: inline-flex; align-items: center; gap: 4px; }
.commit { color: var(--vscode-descriptionForeground); display: inline-flex; align-items: center; gap: 3px; }
.model { color: var(--vscode-descriptionForeground); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 100%; }
.mono { font-family: var(--vscode-editor-font-family); font-size: .95em; }
.num { font-variant-numeric: tabular-nums; }
.muted, .hint, .summary { color: var(--vscode-descriptionForeground); }
.small { font-size: .9em; }
.chips { display: flex; flex-wrap: wrap; gap: 4px; margin: 4px 0; }
.chip { display: inline-flex; align-items: center; gap: 3px; border-radius: 9px; padding: 0 7px; line-height: 18px; font-size: .9em;
  background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); }
.chip .codicon { font-size: 12px; }
.chip.latest { background: transparent; color: var(--vscode-descriptionForeground); border: 1px solid var(--vscode-editorWidget-border, rgba(128,128,128,.4)); }
.chip.alias .codicon { color: var(--vscode-charts-green); }
.subject { font-weight: 600; margin: 8px 0 2px; overflow-wrap: anywhere; }
.body { white-space: pre-wrap; margin: 2px 0 6px; overflow-wrap: anywhere; }
.actions { display: flex; flex-wrap: wrap; gap: 4px; margin: 8px 0; }
.actions vscode-button { flex: 0 0 auto; }
.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 10px; margin: 6px 0 10px; }
.facts dt { color: var(--vscode-descriptionForeground); }
.facts dd { margin: 0; overflow-wrap: anywhere; min-width: 0; }
.ellipsis { display: inline-block; max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom; }
.changes { border-top: 1px solid var(--vscode-sideBarSectionHeader-border, var(--vscode-editorWidget-border, rgba(128,128,128,.35))); margin-top: 6px; }
.changes:empty { display: none; }
h2 { font-size: 1em; font-weight: 600; margin: 10px 0 4px; text-transform: none; }
h3 { font-size: .95em; font-weight: 600; margin: 8px 0 2px; color: var(--vscode-descriptionForeground); }
ul, ol { margin: 2px 0; padding: 0; list-style: none; }
.verdict, .iface li { display: flex; gap: 6px; align-items: flex-start; margin: 2px 0; overflow-wrap: anywhere; }
.verdict .codicon, .iface .codicon { flex: none; margin-top: 2px; color: var(--vscode-charts-blue, var(--vscode-foreground)); }
.verdict.breaking .codicon, .iface li.breaking .codicon { color: var(--vscode-errorForeground); }
.verdict span:last-child, .iface li span:last-child { min-width: 0; }
.verdict.breaking { color: var(--vscode-errorForeground); }
.top li { margin: 3px 0; }
.top .row { display: flex; justify-content: space-between; gap: 8px; }
.top .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
.meter { display: block; height: 3px; background: var(--vscode-editorWidget-border, rgba(128,128,128,.25)); border-radius: 2px; margin-top: 1px; }
.meter .fill { display: block; height: 3px; border-radius: 2px; background: var(--vscode-charts-orange, var(--vscode-progressBar-background)); }
.first { color: var(--vscode-descriptionForeground); }
.error, .warn { color: var(--vscode-editorWarning-foreground); overflow-wrap: anywhere; }
.hint .codicon { vertical-align: text-bottom; }
`;
