/**
 * vscode-jsonrpc over a WebSocket (ws): one JSON-RPC message per text frame. Used by the remote eval
 * host and by EvalClient.remote. Does not load onnxruntime.
 */
import type WebSocket from 'ws';
import { AbstractMessageReader, AbstractMessageWriter, Disposable } from 'vscode-jsonrpc/node';
import type { DataCallback, Message, MessageReader, MessageWriter } from 'vscode-jsonrpc/node';

export class WebSocketMessageReader extends AbstractMessageReader implements MessageReader {
  private callback: DataCallback | undefined;
  private readonly queue: Message[] = [];

  constructor(socket: WebSocket) {
    super();
    socket.on('message', (data, isBinary) => {
      let msg: Message;
      try {
        const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : isBinary || Buffer.isBuffer(data) ? Buffer.from(data as ArrayBuffer).toString('utf8') : String(data);
        msg = JSON.parse(text) as Message;
      } catch (e) {
        this.fireError(new Error(`bad JSON-RPC frame: ${(e as Error).message}`));
        return;
      }
      if (this.callback) this.callback(msg);
      else this.queue.push(msg);
    });
    socket.on('error', (e) => this.fireError(e));
    socket.on('close', () => this.fireClose());
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    while (this.queue.length) callback(this.queue.shift()!);
    return Disposable.create(() => {
      this.callback = undefined;
    });
  }
}

export class WebSocketMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errorCount = 0;

  constructor(private readonly socket: WebSocket) {
    super();
    socket.on('close', () => this.fireClose());
  }

  write(msg: Message): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState !== 1 /* OPEN */) {
        const e = new Error('the WebSocket is not open');
        this.fireError(e, msg, ++this.errorCount);
        reject(e);
        return;
      }
      this.socket.send(JSON.stringify(msg), (err) => {
        if (err) {
          this.fireError(err, msg, ++this.errorCount);
          reject(err);
        } else {
          this.errorCount = 0;
          resolve();
        }
      });
    });
  }

  end(): void {
    /* the socket is closed by its owner */
  }
}
