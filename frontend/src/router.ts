// Routes: one lazily loaded chunk per page, so the first load carries only
// the shell.
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/messages' },
  { path: '/messages/:peer?', name: 'messages', component: () => import('./pages/MessagesPage.vue') },
  { path: '/network', name: 'announces', component: () => import('./pages/AnnouncesPage.vue') },
  {
    path: '/propagation-nodes',
    name: 'propagation',
    component: () => import('./pages/PropagationNodesPage.vue'),
  },
  { path: '/interfaces', name: 'interfaces', component: () => import('./pages/InterfacesPage.vue') },
  { path: '/network-tools', name: 'tools', component: () => import('./pages/NetworkToolsPage.vue') },
  { path: '/identities', name: 'identities', component: () => import('./pages/IdentitiesPage.vue') },
  { path: '/settings', name: 'settings', component: () => import('./pages/SettingsPage.vue') },
  { path: '/:rest(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue') },
]

/** The main navigation, in order: route name and its i18n key. */
export const navItems = [
  { name: 'messages', label: 'nav.messages' },
  { name: 'announces', label: 'nav.announces' },
  { name: 'propagation', label: 'nav.propagation' },
  { name: 'interfaces', label: 'nav.interfaces' },
  { name: 'tools', label: 'nav.tools' },
  { name: 'identities', label: 'nav.identities' },
  { name: 'settings', label: 'nav.settings' },
] as const

export function makeRouter() {
  return createRouter({ history: createWebHistory(), routes })
}
