import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';

async function start() {
  // A browser preview without Go (vite dev, screenshots) gets sample data;
  // the production build never takes this branch inside the app window.
  if (!window.go && import.meta.env.DEV) {
    const { installFakeBackend } = await import('./lib/fakeBackend');
    installFakeBackend();
  }
  mount(App, { target: document.getElementById('app')! });
}

start();
