import { createServer } from 'node:net';

/*
 * The hop's floor: a bare TCP echo in a process of its own, as the echo unit is. What a round trip
 * between two processes on this machine costs with no framing, no JSON, no authentication and no
 * framework: the share of a hop that no transport can remove. PORT comes from the runner.
 */
const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (chunk) => socket.write(chunk));
});
server.listen(Number(process.env['PORT']), '127.0.0.1', () => console.log('tcp echo ready'));
process.once('SIGTERM', () => process.exit(0));
