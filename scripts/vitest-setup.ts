// tsyringe needs the Reflect metadata polyfill loaded once before any decorated class is evaluated.
import "reflect-metadata";
