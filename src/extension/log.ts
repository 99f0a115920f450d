import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

/** The "Model Versions" log (View → Output). */
export function log(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('Model Versions', { log: true });
  return channel;
}
