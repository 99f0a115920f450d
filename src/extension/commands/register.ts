/**
 * The one way a command is registered, with the one error policy (./failure.ts):
 *  - a command returns what its function returns (tests and other callers of executeCommand use it);
 *  - when it fails, the error is logged once and shown as one error notification with the actions that
 *    help (Show Log; How to Install Git LFS when Git LFS is missing), and the command returns undefined;
 *  - a cancellation (vscode.CancellationError, an evaluation cancelled) is logged as such and shows nothing.
 * A command never rejects: VS Code would report the rejection again — a second notification for a menu
 * item, a modal dialog for the Command Palette. Callers see a failure as `undefined`; the tests read what
 * was reported through the extension's test API (`commands.errors()`).
 */
import * as vscode from 'vscode';
import { log } from '../log';
import { describeFailure, type FailureAction } from './failure';
import type { CommandId } from './ids';

/** An error a command reported (tests read them through the extension's API). */
export interface CommandErrorReport {
  command: CommandId;
  message: string;
  /** the notification's buttons ([] when the error showed in the command's panel instead) */
  actions: string[];
  shownIn: 'notification' | 'panel';
}

/** What the integration tests look at (through the extension's API). */
export interface CommandsTestHook {
  /** the ids registered now, in the order they were registered */
  registered(): CommandId[];
  /** the errors the commands reported, oldest first */
  errors(): CommandErrorReport[];
}

const registered = new Set<CommandId>();
const reports: CommandErrorReport[] = [];

export const commandsTestHook: CommandsTestHook = {
  registered: () => [...registered],
  errors: () => reports.map((r) => ({ ...r, actions: [...r.actions] })),
};

/** Registers command `id` (disposed with the extension) under the error policy above. */
export function registerCommand<A extends unknown[], R>(context: vscode.ExtensionContext, id: CommandId, fn: (...args: A) => R | PromiseLike<R>): void {
  if (registered.has(id)) throw new Error(`command ${id} is registered twice`);
  registered.add(id);
  context.subscriptions.push(
    vscode.commands.registerCommand(id, async (...args: A): Promise<Awaited<R> | undefined> => {
      try {
        return await fn(...args);
      } catch (e) {
        reportCommandError(id, e);
        return undefined;
      }
    }),
    { dispose: () => registered.delete(id) },
  );
}

/**
 * How a feature module registers its commands: `command(id, fn)`. The module is loaded when one of its
 * commands first runs (registerLazyCommands below), so that activating the extension loads none of it.
 */
export type CommandRegistrar = <A extends unknown[], R>(id: CommandId, fn: (...args: A) => R | PromiseLike<R>) => void;

/**
 * Registers the commands `ids` of a feature now (they are in the Command Palette and the menus at once,
 * under the error policy above) and loads the feature's code when one of them first runs: `load()`
 * imports the feature's module and returns its setup, which is called once with a CommandRegistrar and
 * must give a function for each of `ids` (and no other id). A failed load is reported like any error
 * of the command that asked for it, and the next run tries again (issue #12: ./features.ts).
 */
export function registerLazyCommands(context: vscode.ExtensionContext, ids: readonly CommandId[], load: () => Promise<(command: CommandRegistrar) => void>): void {
  let handlers: Promise<Map<CommandId, (...args: unknown[]) => unknown>> | undefined;
  const loaded = async () => {
    const setup = await load();
    const map = new Map<CommandId, (...args: unknown[]) => unknown>();
    setup((id, fn) => {
      if (!ids.includes(id)) throw new Error(`the feature of ${ids.join(', ')} registered ${id}, which it does not declare`);
      if (map.has(id)) throw new Error(`command ${id} is registered twice`);
      map.set(id, fn as (...args: unknown[]) => unknown);
    });
    const missing = ids.filter((id) => !map.has(id));
    if (missing.length) throw new Error(`the feature module gave no function for ${missing.join(', ')}`);
    return map;
  };
  for (const id of ids) {
    registerCommand(context, id, async (...args: unknown[]) => {
      handlers ??= loaded().catch((e: unknown) => {
        handlers = undefined; // the next run tries again
        throw e;
      });
      return (await handlers).get(id)!(...args);
    });
  }
}

/** Logs and records a failure of `id`; undefined for a cancellation (logged, nothing to show). */
function record(id: CommandId, e: unknown, shownIn: CommandErrorReport['shownIn']): { message: string; actions: FailureAction[] } | undefined {
  const f = e instanceof vscode.CancellationError ? ({ cancelled: true } as const) : describeFailure(e);
  if (f.cancelled) {
    log().info(`${id}: cancelled`);
    return undefined;
  }
  log().error(`${id}: ${f.log}`);
  reports.push({ command: id, message: f.message, actions: shownIn === 'notification' ? f.actions.map((a) => a.label) : [], shownIn });
  return f;
}

/** The error notification of a failed command (the wrapper above calls it; so does nothing else). */
function reportCommandError(id: CommandId, e: unknown): void {
  const f = record(id, e, 'notification');
  if (!f) return;
  void vscode.window.showErrorMessage(`Model Versions: ${f.message}`, ...f.actions.map((a) => a.label)).then((picked) => {
    const action = f.actions.find((a) => a.label === picked);
    if (!action) return;
    if (action.command) void vscode.commands.executeCommand(action.command);
    else log().show();
  });
}

/**
 * A failure that command `id` shows in its own panel (with a hint) instead of a notification: logged
 * and recorded like the others; a cancellation is only logged.
 */
export function reportErrorShownInPanel(id: CommandId, e: unknown): void {
  record(id, e, 'panel');
}
