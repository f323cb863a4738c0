'use strict';
/**
 * The app image's HEALTHCHECK. Which app runs is read from PID 1's command line
 * (`node /app/bin/app.cjs <app> …`): the dashboard must answer HTTP on its own port (its
 * login page, below 500); the others must reach their Redis, without which they can do nothing.
 * Exit 0 healthy, 1 not. Node built-ins only.
 */
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');

const env = process.env;
const fail = (why) => {
  console.error(`unhealthy: ${why}`);
  process.exit(1);
};
const app = fs.readFileSync('/proc/1/cmdline', 'utf8').split('\0')[2];

if (app === 'dashboard') {
  const host = env.SIMPLECM_DASHBOARD_HOST && env.SIMPLECM_DASHBOARD_HOST !== '0.0.0.0' ? env.SIMPLECM_DASHBOARD_HOST : '127.0.0.1';
  const request = http.get({ host, port: Number(env.SIMPLECM_DASHBOARD_PORT ?? 3000), path: '/login', timeout: 3000 }, (res) => {
    res.resume();
    if (res.statusCode < 500) process.exit(0);
    fail(`dashboard answered ${res.statusCode}`);
  });
  request.on('timeout', () => request.destroy(new Error('timeout')));
  request.on('error', (error) => fail(`dashboard: ${error.message}`));
} else {
  const first = (env.SIMPLECM_REDIS_CLUSTER ?? '').split(',')[0];
  const { hostname, port } = first ? new URL(`redis://${first}`) : new URL(env.SIMPLECM_REDIS_URL ?? 'redis://127.0.0.1:6380');
  const socket = net.connect({ host: hostname, port: Number(port || 6379), timeout: 3000 }, () => {
    socket.destroy();
    process.exit(0);
  });
  socket.on('timeout', () => socket.destroy(new Error('timeout')));
  socket.on('error', (error) => fail(`redis at ${hostname}:${port}: ${error.message}`));
}
