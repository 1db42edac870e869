// Imports the package by name, as an app would after `npm install steadysocket`.
import init, { SteadySocket } from "steadysocket";

const $ = (id) => document.getElementById(id);
await init();
const tag = new URLSearchParams(location.search).get("tag");
const scheme = location.protocol === "https:" ? "wss" : "ws";
const s = new SteadySocket(`${scheme}://${location.host}/ws${tag ? `?tag=${encodeURIComponent(tag)}` : ""}`);
s.on("state", ({ to }) => ($("state").textContent = to));
s.onMessage("echo", (data) => ($("echo").textContent = JSON.stringify(data)));
s.send("echo", { from: "vite" });
